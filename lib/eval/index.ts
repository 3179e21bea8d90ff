// Offline evaluation: full-ranking metrics, paired statistics and the promotion rule.
export type {
  AsyncScorer,
  Csr,
  CutoffMetric,
  EvalData,
  EvalOptions,
  EvalProgress,
  EvalResult,
  EvalSummary,
  MetricKey,
  Scorer,
} from './types.ts';
export {
  csrFromCoo,
  itemCounts,
  nonEmptyRows,
  rowCounts,
  transposeCsr,
  validateCsr,
} from './csr.ts';
export { TopKSelector, fullRank } from './topk.ts';
export {
  averagePrecisionAt,
  discounts,
  hitRateAt,
  hitsAt,
  meanAt,
  ndcgAt,
  recallAt,
  selfInformation,
  tailItemMask,
} from './metrics.ts';
export { FullRankingRun, evaluateFullRanking, evaluateFullRankingAsync } from './full-ranking.ts';
export { DotProductScorer } from './factor-scorer.ts';
export type { DotProductOptions } from './factor-scorer.ts';
export { WasmDotKernel, wasmSimdAvailable } from './wasm-dot.ts';
export { bootstrapMeanCi, bootstrapMeansCi, quantileSorted } from './bootstrap.ts';
export type { BootstrapOptions, MeanCi } from './bootstrap.ts';
export { wilcoxonSignedRank } from './wilcoxon.ts';
export type { WilcoxonOptions, WilcoxonResult } from './wilcoxon.ts';
export { erfc, normalSf, normalTwoSided } from './normal.ts';
export { compareResults, metricValues, pairedEffects } from './compare.ts';
export type { CompareOptions, Comparison, Effect, SegmentName } from './compare.ts';
export { abTest, abTestAsync, decide, guardRailMetric, metricLabel } from './decision.ts';
export type { Decision, DecisionCheck, DecisionConfig, GuardRail } from './decision.ts';
export { meanOf } from './summary.ts';
export { SplitMix32 } from '../training/random.ts';
