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
  topUnseenItemsAsync,
} from './top-new.ts';
export type { TopNewItems, UnseenExclusions } from './top-new.ts';
export { fitTunedBaseline } from './tuned.ts';
export type { TunedBaseline, TunedBaselineName } from './tuned.ts';
export { strongestBaseline, TEACHER_CANDIDATES } from './strongest.ts';
export type { CandidateFigure, StrongestBaseline, TeacherCandidate } from './strongest.ts';
export {
  evaluateBaselines,
  evaluateBaselinesAlongside,
  baselinesWantThread,
  BASELINE_THREAD_MIN_PAIRS,
} from './evaluate-baselines.ts';
export type { BaselineName, BaselineResults } from './evaluate-baselines.ts';
