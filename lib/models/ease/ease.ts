import { runSteps, runStepsAsync } from '../../async/steps.ts';
import type { Steps } from '../../async/steps.ts';
import { validateCsr } from '../../eval/csr.ts';
import type { Csr, Scorer } from '../../eval/types.ts';
import { invertSpdSteps } from './spd-inverse.ts';

/**
 * Catalogs up to this size are solved densely: the item x item matrices take 8 n^2 bytes
 * (float64 Gram matrix, inverted in place) plus 4 n^2 (float32 weights) - 300 MB at 5,000
 * items - and the inversion ~n^3 / 2 multiply-adds (about 33 s at 5,000 items on one core,
 * bench/train/ease.ts).
 */
export const EASE_MAX_ITEMS = 5000;

/** A catalog too large for the dense solve: the message says what to do instead. */
export class EaseTooLargeError extends Error {
  override name = 'EaseTooLargeError';
  constructor(nItems: number, maxItems: number) {
    super(
      `EASE solves an items x items system densely and supports at most ${maxItems} items; ` +
        `this catalog has ${nItems}. Use another model family (bpr, ials), or filter the catalog ` +
        '(data.minItemCount / k-core) below the limit.',
    );
  }
}

/**
 * EASE (Steck, WWW 2019): a closed-form item x item linear model. With the Gram matrix
 * G = X^T X of the (binary or weighted) user x item matrix and P = (G + lambda I)^-1, the
 * weights are B = I - P diag(1 / diag P), with a zero diagonal: an item never explains itself.
 * A user's scores are their history row times B. Its one hyper-parameter, lambda, is chosen on
 * validation by the callers.
 */
export class EaseScorer implements Scorer {
  private constructor(
    readonly nItems: number,
    readonly lambda: number,
    /** Users' train histories (items and their weights). */
    private readonly history: Csr,
    private readonly historyWeight: Float32Array | undefined,
    /** Item x item weights, row-major. */
    readonly weights: Float32Array,
  ) {}

  /** Fits on a train CSR; `rowWeight` (aligned with its entries) weights each row, default 1. */
  static fit(train: Csr, nItems: number, lambda: number, rowWeight?: Float32Array): EaseScorer {
    return runSteps(EaseScorer.fitSteps(train, nItems, lambda, rowWeight));
  }

  static *fitSteps(
    train: Csr,
    nItems: number,
    lambda: number,
    rowWeight?: Float32Array,
  ): Steps<EaseScorer> {
    const gram = yield* gramSteps(train, nItems, rowWeight);
    const weights = yield* easeWeightsSteps(gram, nItems, lambda);
    return new EaseScorer(nItems, lambda, train, rowWeight, weights);
  }

  /** From weights computed elsewhere (a saved model), over the given histories. */
  static fromWeights(
    history: Csr,
    historyWeight: Float32Array | undefined,
    nItems: number,
    lambda: number,
    weights: Float32Array,
  ): EaseScorer {
    if (weights.length !== nItems * nItems)
      throw new RangeError(`EASE weights: ${weights.length} values for ${nItems} items`);
    return new EaseScorer(nItems, lambda, history, historyWeight, weights);
  }

  /** The same weights scoring the same histories with other entry weights (recency.ts). */
  withHistoryWeight(weight: Float32Array): EaseScorer {
    if (weight.length < this.history.indptr[this.history.indptr.length - 1]!)
      throw new RangeError('EASE history weights: fewer weights than history entries');
    return new EaseScorer(this.nItems, this.lambda, this.history, weight, this.weights);
  }

  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    const n = this.nItems;
    if (out.length < userIds.length * n) throw new RangeError('score buffer is too small');
    const { indptr, indices } = this.history;
    const rows = indptr.length - 1;
    const w = this.historyWeight;
    const b = this.weights;
    for (let r = 0; r < userIds.length; r++) {
      const u = userIds[r]!;
      if (u < 0 || u >= rows) throw new RangeError(`user ${u} is outside the train matrix`);
      const o = r * n;
      out.fill(0, o, o + n);
      const end = indptr[u + 1]!;
      let a = indptr[u]!;
      // Four history items per pass over the output row: a quarter of its loads and stores.
      for (; a + 4 <= end; a += 4) {
        const b0 = indices[a]! * n;
        const b1 = indices[a + 1]! * n;
        const b2 = indices[a + 2]! * n;
        const b3 = indices[a + 3]! * n;
        const x0 = w ? w[a]! : 1;
        const x1 = w ? w[a + 1]! : 1;
        const x2 = w ? w[a + 2]! : 1;
        const x3 = w ? w[a + 3]! : 1;
        for (let j = 0; j < n; j++)
          out[o + j]! += x0 * b[b0 + j]! + x1 * b[b1 + j]! + x2 * b[b2 + j]! + x3 * b[b3 + j]!;
      }
      for (; a < end; a++) {
        const bi = indices[a]! * n;
        const x = w ? w[a]! : 1;
        for (let j = 0; j < n; j++) out[o + j]! += x * b[bi + j]!;
      }
    }
  }
}

/** G = X^T X over the train rows (duplicates add up; weights multiply), float64, row-major. */
function* gramSteps(train: Csr, nItems: number, rowWeight?: Float32Array): Steps<Float64Array> {
  if (nItems > EASE_MAX_ITEMS) throw new EaseTooLargeError(nItems, EASE_MAX_ITEMS);
  const nUsers = train.indptr.length - 1;
  validateCsr(train, nUsers, nItems, 'train');
  const gram = new Float64Array(nItems * nItems);
  for (let u = 0; u < nUsers; u++) {
    const start = train.indptr[u]!;
    const end = train.indptr[u + 1]!;
    for (let a = start; a < end; a++) {
      const i = train.indices[a]!;
      const wi = rowWeight ? rowWeight[a]! : 1;
      const ri = i * nItems;
      for (let b = start; b < end; b++)
        gram[ri + train.indices[b]!]! += wi * (rowWeight ? rowWeight[b]! : 1);
    }
    if (u % 256 === 0) yield;
  }
  return gram;
}

/** B from G (consumed: inverted in place). */
function* easeWeightsSteps(gram: Float64Array, n: number, lambda: number): Steps<Float32Array> {
  if (!(lambda > 0)) throw new RangeError(`EASE lambda must be > 0, got ${lambda}`);
  for (let i = 0; i < n; i++) gram[i * n + i]! += lambda;
  yield* invertSpdSteps(gram, n);
  const weights = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    // B[i][j] = -P[i][j] / P[j][j] for i != j; the diagonal stays 0.
    const ri = i * n;
    for (let j = 0; j < n; j++) if (j !== i) weights[ri + j] = -gram[ri + j]! / gram[j * n + j]!;
  }
  return weights;
}

/** Options of {@link fitEaseOnValidation}. */
export interface EaseSelection {
  /**
   * Candidate lambdas as multiples of the mean number of train rows per item, so the grid
   * follows the log's scale. @default [0.5, 2, 8, 32]
   */
  relativeLambdas?: number[];
  /** Per train entry (aligned with `train.indices`): its weight in the Gram matrix. @default 1 */
  rowWeight?: Float32Array;
  signal?: AbortSignal;
}

/** The chosen EASE model and what the choice was based on (validation only). */
export interface EaseChoice {
  scorer: EaseScorer;
  lambda: number;
  /** The chosen lambda as a multiple of the mean number of train rows per item. */
  relativeLambda: number;
  /** Validation NDCG@10 per candidate lambda, in grid order. */
  candidates: { lambda: number; validNdcg10: number }[];
}

/**
 * Fits EASE on `train` for each candidate lambda and keeps the one with the best NDCG@10 on
 * `valid` (train items excluded from the ranking): the test split is never read. The Gram
 * matrix is built once; each candidate costs one inversion.
 *
 * @param rank - NDCG@10 of a scorer on the validation users (the caller's full-ranking
 *   evaluation, kept out of this module so it needs no evaluation code)
 */
export async function fitEaseOnValidation(
  train: Csr,
  nItems: number,
  rank: (scorer: EaseScorer) => Promise<number>,
  options: EaseSelection = {},
): Promise<EaseChoice> {
  const relative = options.relativeLambdas ?? [0.5, 2, 8, 32];
  const gram = await runStepsAsync(gramSteps(train, nItems, options.rowWeight));
  let meanDegree = 0;
  for (let i = 0; i < nItems; i++) meanDegree += gram[i * nItems + i]!;
  meanDegree = Math.max(1, meanDegree / nItems);
  const candidates: EaseChoice['candidates'] = [];
  let best: EaseScorer | undefined;
  let bestRelative = Number.NaN;
  let bestScore = -Infinity;
  for (const r of relative) {
    options.signal?.throwIfAborted();
    const lambda = r * meanDegree;
    const weights = await runStepsAsync(easeWeightsSteps(gram.slice(), nItems, lambda));
    const scorer = EaseScorer.fromWeights(train, options.rowWeight, nItems, lambda, weights);
    const validNdcg10 = await rank(scorer);
    candidates.push({ lambda, validNdcg10 });
    if (validNdcg10 > bestScore) {
      bestScore = validNdcg10;
      best = scorer;
      bestRelative = r;
    }
  }
  if (!best) throw new RangeError('EASE: no candidate lambda given');
  return { scorer: best, lambda: best.lambda, relativeLambda: bestRelative, candidates };
}
