export { policyCandidates, TEACHER_WITH_HEAD } from './grid.ts';
export type { PolicyCandidate, PolicyGrid, PolicyOverrides } from './grid.ts';
export { choosePolicy } from './choose.ts';
export type {
  PolicyChoice,
  RankOn,
  ScoredCandidate,
  SplitFigures,
  ValidationFigures,
} from './choose.ts';
export { validationHalves } from './halves.ts';
export type { ValidationHalves } from './halves.ts';
export { searchPolicy } from './search.ts';
export type { PolicySearchDeps, PolicySearchResult } from './search.ts';
export { policyScorer, screeningConfig, validationFigures } from './validation.ts';
export type { PolicyScorer } from './validation.ts';
