export { policyCandidates } from './grid.ts';
export type { PolicyCandidate, PolicyGrid, PolicyOverrides } from './grid.ts';
export { choosePolicy } from './choose.ts';
export type { PolicyChoice, ScoredCandidate, ValidationFigures } from './choose.ts';
export { searchPolicy } from './search.ts';
export type { PolicySearchDeps, PolicySearchResult } from './search.ts';
