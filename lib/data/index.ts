// The data layer: sources -> validated typed-array tables -> preprocessed splits -> Parquet.
export { DataValidationError, BadRowCollector } from './errors.ts';
export { IdMap, allocInteractions, trimmed } from './table.ts';
export type { Interactions, ItemMeta } from './table.ts';
export { parseSource } from './sources.ts';
export type { SourceSpec } from './sources.ts';
export { ingestSource } from './ingest.ts';
export type { IngestResult, SourceFiles } from './ingest.ts';
export { readInteractions, readItemMeta } from './readers.ts';
export type { InteractionFormat, BadRowPolicy } from './readers.ts';
export { generateSynthetic } from './synthetic.ts';
export { preprocess } from './preprocess.ts';
export type { PreprocessConfig, Splits } from './preprocess.ts';
export { splitStats, gini } from './stats.ts';
export type { DataStats } from './stats.ts';
export {
  writeColumns,
  readColumns,
  writeInteractions,
  readInteractionsParquet,
  writeUserTable,
  writeItemTable,
} from './parquet.ts';
export { Rng } from './random.ts';
