// Cheap, strong reference recommenders that every A/B report compares against.
export { PopularityScorer } from './popularity.ts';
export { ItemKnnScorer } from './item-knn.ts';
export type { ItemKnnOptions } from './item-knn.ts';
export {
  knnRowScores,
  knnRowScoresAsync,
  topNewItems,
  topNewItemsAsync,
  topNewItemsCsr,
  topNewItemsCsrAsync,
} from './top-new.ts';
export type { TopNewItems } from './top-new.ts';
export {
  evaluateBaselines,
  evaluateBaselinesAlongside,
  baselinesWantThread,
  BASELINE_THREAD_MIN_PAIRS,
} from './evaluate-baselines.ts';
export type { BaselineName, BaselineResults } from './evaluate-baselines.ts';
