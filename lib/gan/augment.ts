/**
 * Augmentation with a trained generator: for the selected users, the top-k items by
 * generator score that the user has not interacted with in train become synthetic
 * positives, with their score. Plus how those positives compare with the real data.
 */
import { itemCounts, rowCounts } from '../eval/csr.ts';
import { TopKSelector } from '../eval/topk.ts';
import type { AsyncScorer, Csr } from '../eval/types.ts';
import type { GeneratedRows, GenerationQuality } from './types.ts';
import { eventLoopTurn } from '../async/turn.ts';

export type GanUsers = 'sparse' | 'all';

/**
 * Users to augment: `all` users with a train item, or `sparse` ones - at most
 * `sparseThreshold` train items (the users augmentation is meant to help).
 */
export function selectUsers(train: Csr, nUsers: number, mode: GanUsers, sparseThreshold: number) {
  const counts = rowCounts(train);
  const out = new Int32Array(nUsers);
  let n = 0;
  for (let u = 0; u < nUsers; u++) {
    const c = counts[u]!;
    if (c > 0 && (mode === 'all' || c <= sparseThreshold)) out[n++] = u;
  }
  return out.slice(0, n);
}

export interface GenerateOptions {
  topK: number;
  /** Users scored per call. @default 256 */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Top-k new items per user by generator score (ties: lower item id), excluding train items.
 * A row's score is the generator's output clamped to [0, 1]: its estimate of the 0/1 entry.
 */
export async function generatePositives(
  scorer: AsyncScorer,
  train: Csr,
  nItems: number,
  users: Int32Array,
  opts: GenerateOptions,
): Promise<GeneratedRows> {
  const k = opts.topK;
  const B = opts.batchSize ?? 256;
  const cap = users.length * k;
  const out: GeneratedRows = {
    n: 0,
    user: new Int32Array(cap),
    item: new Int32Array(cap),
    score: new Float32Array(cap),
  };
  const top = new TopKSelector(k);
  const scores = new Float32Array(B * nItems);
  for (let start = 0; start < users.length; start += B) {
    opts.signal?.throwIfAborted();
    const batch = users.subarray(start, Math.min(start + B, users.length));
    await scorer.scoreUsers(batch, scores.subarray(0, batch.length * nItems));
    for (let r = 0; r < batch.length; r++) {
      const u = batch[r]!;
      const o = r * nItems;
      for (let p = train.indptr[u]!; p < train.indptr[u + 1]!; p++)
        scores[o + train.indices[p]!] = -Infinity;
      const m = top.select(scores, o, nItems);
      for (let q = 0; q < m; q++) {
        out.user[out.n] = u;
        out.item[out.n] = top.ids[q]!;
        out.score[out.n] = Math.min(1, Math.max(0, top.scores[q]!));
        out.n++;
      }
    }
    opts.onProgress?.(start + batch.length, users.length);
    await eventLoopTurn();
  }
  return out;
}

/** Popularity distance, coverage and novelty of generated rows against the train split. */
export function generationQuality(
  rows: GeneratedRows,
  train: Csr,
  nUsers: number,
  nItems: number,
): GenerationQuality {
  const real = itemCounts(train, nItems);
  const gen = new Int32Array(nItems);
  for (let k = 0; k < rows.n; k++) gen[rows.item[k]!]!++;
  const realTotal = real.reduce((s, x) => s + x, 0);
  let covered = 0;
  let novelty = 0;
  let realNovelty = 0;
  // Self-information with add-one smoothing, as the evaluation layer defines novelty.
  const info = (i: number) => -Math.log2((real[i]! + 1) / (nUsers + 1));
  for (let i = 0; i < nItems; i++) {
    if (gen[i]! > 0) covered++;
    novelty += gen[i]! * info(i);
    realNovelty += real[i]! * info(i);
  }
  return {
    popularityJsDistance: jsDistance(real, realTotal, gen, rows.n),
    coverage: covered / nItems,
    novelty: rows.n ? novelty / rows.n : NaN,
    realNovelty: realTotal ? realNovelty / realTotal : NaN,
  };
}

/** sqrt of the base-2 Jensen-Shannon divergence of two count vectors (0 = same shape). */
export function jsDistance(a: Int32Array, aTotal: number, b: Int32Array, bTotal: number): number {
  if (!aTotal || !bTotal) return NaN;
  let js = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]! / aTotal;
    const q = b[i]! / bTotal;
    const m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * Math.log2(p / m);
    if (q > 0) js += 0.5 * q * Math.log2(q / m);
  }
  return Math.sqrt(Math.max(0, Math.min(1, js)));
}
