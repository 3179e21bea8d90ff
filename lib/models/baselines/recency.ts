/**
 * Recency-weighted histories for the item-item baselines (EASE, RP3beta, ItemKNN), whose
 * score for a user is a weighted sum over the items of their history. Weighting each item
 * by 2^(-r / h), r the number of the user's train rows that came after it, makes the teacher
 * lean on what the user did last: knowledge of interaction order that an ID-only student
 * (BPR-MF, iALS, EASE on the plain history) does not have. The half-life h is chosen on
 * validation (strongest.ts), "none" included, so a log without a temporal signal keeps the
 * plain history. Pure: no Temporal, no I/O.
 */
import { runStepsAsync } from '../../async/steps.ts';
import type { Steps } from '../../async/steps.ts';
import { csrFromCoo } from '../../eval/csr.ts';
import type { Scorer } from '../../eval/types.ts';

/** Half-lives tried, in train rows (after "none", the plain history). */
export const RECENCY_HALF_LIVES: readonly number[] = [16, 8, 4, 2, 1];

/** A candidate's validation NDCG@10 with one half-life (null: the plain history). */
export interface RecencyFigure {
  halfLife: number | null;
  validNdcg10: number;
}

/** A scorer over a user x item history that can score the same history with other weights. */
export interface HistoryReweightable {
  /**
   * The same model scoring each history entry of the train CSR it was fitted on with
   * `weight` (aligned with that CSR's entries) instead of its own weights.
   */
  withHistoryWeight(weight: Float32Array): Scorer & { nItems: number };
}

export function isHistoryReweightable(s: unknown): s is HistoryReweightable {
  return typeof (s as Partial<HistoryReweightable>).withHistoryWeight === 'function';
}

/**
 * For each entry of the CSR that `csrFromCoo(user, item, n, nRows)` builds (rows grouped by
 * user, file order within a user): how many of the user's rows are later, 0 for the latest.
 * Later means a larger timestamp, on ties the larger item index (as the leave-last-out split
 * orders them), and without a timestamp (NaN) the later position in the file.
 */
export function recencyRanksAsync(
  rows: { user: Int32Array; item: Int32Array; ts: Float64Array; n: number },
  nRows: number,
): Promise<Int32Array> {
  return runStepsAsync(recencyRankSteps(rows, nRows));
}

export function* recencyRankSteps(
  rows: { user: Int32Array; item: Int32Array; ts: Float64Array; n: number },
  nRows: number,
): Steps<Int32Array> {
  const { user, item, ts, n } = rows;
  // The CSR's order: the same CSR built over row numbers, so each entry names its row.
  const rowIds = new Int32Array(n);
  for (let k = 0; k < n; k++) rowIds[k] = k;
  const { indptr, indices: source } = csrFromCoo(user, rowIds, n, nRows);
  yield;
  const ranks = new Int32Array(n);
  let order = new Int32Array(64);
  const before = (a: number, b: number): number => {
    const ta = ts[a]!;
    const tb = ts[b]!;
    if (Number.isNaN(ta) || Number.isNaN(tb)) return a - b;
    if (ta !== tb) return ta - tb;
    return item[a]! - item[b]! || a - b;
  };
  for (let u = 0; u < nRows; u++) {
    const start = indptr[u]!;
    const len = indptr[u + 1]! - start;
    if (len === 0) continue;
    if (order.length < len) order = new Int32Array(len * 2);
    const view = order.subarray(0, len);
    for (let q = 0; q < len; q++) view[q] = q;
    // Positions within the row, oldest first.
    view.sort((p, q) => before(source[start + p]!, source[start + q]!));
    for (let q = 0; q < len; q++) ranks[start + view[q]!] = len - 1 - q;
    if ((u & 1023) === 0) yield;
  }
  return ranks;
}

/** A half-life chosen on validation, with every candidate's figure. */
export interface HalfLifeChoice {
  /** The winner; absent when the plain history scored best. */
  halfLife?: number;
  validNdcg10: number;
  /** The plain history first, then each of RECENCY_HALF_LIVES. */
  figures: RecencyFigure[];
}

/**
 * Scores each of RECENCY_HALF_LIVES with `scoreWith` against the plain history's
 * `plainNdcg10`; the best on validation wins, the plain history on ties.
 */
export async function chooseHalfLife(
  plainNdcg10: number,
  scoreWith: (halfLife: number) => Promise<number>,
  signal?: AbortSignal,
): Promise<HalfLifeChoice> {
  const figures: RecencyFigure[] = [{ halfLife: null, validNdcg10: plainNdcg10 }];
  let best: { halfLife?: number; validNdcg10: number } = { validNdcg10: plainNdcg10 };
  for (const halfLife of RECENCY_HALF_LIVES) {
    signal?.throwIfAborted();
    const validNdcg10 = await scoreWith(halfLife);
    figures.push({ halfLife, validNdcg10 });
    if (validNdcg10 > best.validNdcg10) best = { halfLife, validNdcg10 };
  }
  return { ...best, figures };
}

/** A half-life chosen on validation, with the scorer that scored the winning figure. */
export interface HistoryWeighting<S> extends HalfLifeChoice {
  /** `plain` when the plain history won, else the winning half-life's scorer. */
  scorer: S;
}

/**
 * chooseHalfLife over scorers: `reweighted(h)` is the plain scorer scoring histories weighted
 * with half-life h, and `validNdcg10` scores one. The winner's scorer is returned as scored,
 * not built again.
 */
export async function chooseHistoryWeighting<S>(
  plain: S,
  plainNdcg10: number,
  reweighted: (halfLife: number) => S,
  validNdcg10: (scorer: S) => Promise<number>,
  signal?: AbortSignal,
): Promise<HistoryWeighting<S>> {
  const scored = new Map<number, S>();
  const pick = await chooseHalfLife(
    plainNdcg10,
    (halfLife) => {
      const scorer = reweighted(halfLife);
      scored.set(halfLife, scorer);
      return validNdcg10(scorer);
    },
    signal,
  );
  return { ...pick, scorer: pick.halfLife === undefined ? plain : scored.get(pick.halfLife)! };
}

/** 2^(-rank / halfLife) per entry. */
export function recencyWeights(ranks: Int32Array, halfLife: number): Float32Array {
  if (!(halfLife > 0)) throw new RangeError(`recency half-life must be > 0, got ${halfLife}`);
  const w = new Float32Array(ranks.length);
  for (let k = 0; k < ranks.length; k++) w[k] = 2 ** (-ranks[k]! / halfLife);
  return w;
}
