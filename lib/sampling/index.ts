/** Public API of the resample domain code (see resample.ts for the order of operations). */
export { resample } from './resample.ts';
export { validateConfig, validateInput } from './validate.ts';
export {
  DEFAULT_RESAMPLE_CONFIG,
  DROP_REASONS,
  SOURCE,
  SOURCE_NAMES,
  SYNTHETIC_SOURCE_NAMES,
} from './types.ts';
export type {
  CompositionReport,
  DropReason,
  NegativeStats,
  NegativeStrategy,
  RealRows,
  ResampleConfig,
  ResampledSet,
  ResampleInput,
  ResampleResult,
  RowCounts,
  SourceCode,
  SourceName,
  SyntheticSource,
  SyntheticSourceName,
} from './types.ts';
