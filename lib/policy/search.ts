/**
 * The search of `augmentation.policy: auto`: A's validation figures, then each candidate's
 * (its training set built, a model trained on it, scored on validation), within a time
 * budget, and the choice. Building, training and scoring are passed in, so the search is
 * testable without models and the stage decides how sets are built.
 */
import { createHash } from 'node:crypto';
import type { TrainingSet } from '../data/row-sets.ts';
import { choosePolicy } from './choose.ts';
import type { PolicyChoice, PolicyGuard, RankOn, ScoredCandidate, SplitFigures } from './choose.ts';
import type { PolicyCandidate, PolicyOverrides } from './grid.ts';

export interface PolicySearchDeps {
  /** The training set with the given sources' rows (none: A) and the synthetic rows it kept. */
  build(
    sources: string[],
    overrides?: PolicyOverrides,
  ): { set: TrainingSet; syntheticRows: number };
  /**
   * Trains the configured model on `set` and scores it on validation, per half; A first
   * (`of` 'A'), then the candidates (validation.ts may screen them with what A chose).
   */
  score(set: TrainingSet, of: 'A' | 'candidate'): Promise<SplitFigures>;
  /** Reports progress before each model is trained (heartbeats). */
  onStep?(label: string, done: number, total: number): void;
  signal?: AbortSignal;
}

export interface PolicySearchResult {
  /** Which validation users ranked the candidates (choose.ts). */
  rankOn: RankOn;
  a: SplitFigures;
  candidates: ScoredCandidate[];
  choice: PolicyChoice;
  seconds: number;
}

/** A digest of a training set's rows: equal digests train the same (seeded) model. */
function rowsDigest(set: TrainingSet): string {
  const h = createHash('sha256').update(`${set.nUsers} ${set.nItems} ${set.n}`);
  for (const a of [set.user, set.item, set.label, set.weight])
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

/**
 * Tries the candidates in order. One with no synthetic row left after resample's caps is
 * skipped (it would be A again); one whose training set equals an earlier candidate's (e.g.
 * a larger per-user cap when no user has more rows) takes that candidate's figures without
 * training (`sameAs`); once `budgetSeconds` have passed, the rest are skipped, but at least
 * one candidate is always trained.
 */
export async function searchPolicy(
  candidates: readonly PolicyCandidate[],
  deps: PolicySearchDeps,
  budgetSeconds: number,
  guard?: PolicyGuard,
  rankOn?: RankOn,
): Promise<PolicySearchResult> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  deps.onStep?.('A (real data only)', 0, candidates.length + 1);
  const a = await deps.score(deps.build([]).set, 'A');
  const scored: ScoredCandidate[] = [];
  const seen = new Map<string, { label: string; valid: SplitFigures }>();
  let trained = 0;
  let untried = 0;
  for (const [i, c] of candidates.entries()) {
    deps.signal?.throwIfAborted();
    if (trained > 0 && elapsed() > budgetSeconds) {
      scored.push({ ...c, skipped: `time budget of ${budgetSeconds} s spent` });
      untried++;
      continue;
    }
    const { set, syntheticRows } = deps.build(c.sources, c.overrides);
    if (syntheticRows === 0) {
      scored.push({ ...c, syntheticRows, skipped: 'no synthetic row left after the caps' });
      continue;
    }
    const digest = rowsDigest(set);
    const same = seen.get(digest);
    if (same) {
      scored.push({ ...c, valid: same.valid, syntheticRows, sameAs: same.label });
      continue;
    }
    deps.onStep?.(c.label, i + 1, candidates.length + 1);
    const s0 = performance.now();
    const valid = await deps.score(set, 'candidate');
    trained++;
    seen.set(digest, { label: c.label, valid });
    scored.push({ ...c, valid, syntheticRows, seconds: (performance.now() - s0) / 1000 });
  }
  const choice = choosePolicy(a, scored, guard, rankOn);
  // A choice among a few of the candidates is a different claim: the reason says so.
  if (untried > 0)
    choice.reason += `. ${untried} of ${candidates.length} candidates were not tried: the time budget (augmentation.budgetSeconds, ${budgetSeconds} s) was spent; raise it to search them`;
  return { rankOn: rankOn ?? 'selection', a, candidates: scored, choice, seconds: elapsed() };
}
