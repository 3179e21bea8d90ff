/**
 * A blend of tuned baselines: per user, each part's scores over the catalog standardised
 * (mean 0, standard deviation 1) and summed with the part's weight. Item-item models that
 * look at a history differently (EASE's regression, RP3beta's popularity-damped random walk,
 * ItemKNN's cosine neighbours) make different mistakes, so their blend is usually a stronger
 * teacher than any one of them - and stronger than a student of the same family, which is
 * what a teacher must be to bring it anything. The weights are chosen on validation
 * (strongest.ts); the plain best baseline stays the teacher when no blend beats it there.
 * Pure: no Temporal, no I/O.
 */
import type { Scorer } from '../../eval/types.ts';

/** Weights tried for each part added to the blend (the leading part weighs 1). */
export const BLEND_WEIGHTS: readonly number[] = [0.25, 0.5, 1];

/** One part of a blend: a candidate baseline and its weight. */
export interface BlendPart<N extends string = string> {
  name: N;
  weight: number;
}

/** A part added with one weight, and the blend's validation NDCG@10 with it. */
export interface BlendFigure<N extends string = string> extends BlendPart<N> {
  validNdcg10: number;
}

/** What the blend search chose. */
export interface BlendChoice<N extends string = string> {
  /** The leading part (weight 1) first, then each part kept, in the order added. */
  parts: BlendPart<N>[];
  validNdcg10: number;
  /** Every blend tried, in order. */
  tried: BlendFigure<N>[];
}

type Fitted = Scorer & { nItems: number };

/**
 * The weighted sum of the parts' per-user standardised scores. A row whose scores are all
 * equal contributes nothing (its deviations are 0); a non-finite score stays non-finite, so
 * an item a part rules out stays ruled out.
 */
export function blendedScorer(parts: { scorer: Fitted; weight: number }[]): Fitted {
  if (parts.length === 0) throw new RangeError('blendedScorer: no part given');
  const nItems = parts[0]!.scorer.nItems;
  for (const p of parts)
    if (p.scorer.nItems !== nItems)
      throw new RangeError(
        `blendedScorer: the parts score ${nItems} and ${p.scorer.nItems} items; a blend needs one catalog`,
      );
  let buffer = new Float32Array(0);
  return {
    nItems,
    scoreUsers(users: Int32Array, out: Float32Array) {
      const size = users.length * nItems;
      if (buffer.length < size) buffer = new Float32Array(size);
      const scores = buffer.subarray(0, size);
      out.fill(0, 0, size);
      for (const { scorer, weight } of parts) {
        scorer.scoreUsers(users, scores);
        for (let r = 0; r < users.length; r++)
          addStandardised(scores, out, r * nItems, nItems, weight);
      }
    },
  };
}

/** out[o..o+n) += weight * (x - mean) / sd over the finite entries of x[o..o+n). */
function addStandardised(x: Float32Array, out: Float32Array, o: number, n: number, weight: number) {
  let sum = 0;
  let count = 0;
  for (let i = o; i < o + n; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  let squares = 0;
  for (let i = o; i < o + n; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) squares += (v - mean) * (v - mean);
  }
  const sd = Math.sqrt(squares / Math.max(1, count));
  const scale = sd > 0 ? weight / sd : 0;
  for (let i = o; i < o + n; i++) {
    const v = x[i]!;
    out[i] = out[i]! + (Number.isFinite(v) ? (v - mean) * scale : v);
  }
}

/**
 * Greedy blend search on validation: starting from `lead` alone (its figure `leadNdcg10`),
 * each of `others` in turn (the strongest first) is added with each of BLEND_WEIGHTS, and
 * the best weight is kept when the blend then scores above the blend without it. Undefined
 * when no blend beats `lead` alone.
 */
export async function chooseBlend<N extends string>(
  lead: { name: N; scorer: Fitted },
  leadNdcg10: number,
  others: { name: N; scorer: Fitted }[],
  validNdcg10: (scorer: Fitted) => Promise<number>,
  signal?: AbortSignal,
): Promise<(BlendChoice<N> & { scorer: Fitted }) | undefined> {
  const kept = [{ ...lead, weight: 1 }];
  let best: { score: number; scorer: Fitted } | undefined;
  let score = leadNdcg10;
  const tried: BlendFigure<N>[] = [];
  for (const other of others) {
    let step: { weight: number; score: number; scorer: Fitted } | undefined;
    for (const weight of BLEND_WEIGHTS) {
      signal?.throwIfAborted();
      const scorer = blendedScorer([...kept, { scorer: other.scorer, weight }]);
      const figure = await validNdcg10(scorer);
      tried.push({ name: other.name, weight, validNdcg10: figure });
      if (figure > score && (!step || figure > step.score))
        step = { weight, score: figure, scorer };
    }
    if (!step) continue;
    kept.push({ ...other, weight: step.weight });
    score = step.score;
    best = { score, scorer: step.scorer };
  }
  if (!best) return undefined;
  return {
    parts: kept.map(({ name, weight }) => ({ name, weight })),
    validNdcg10: best.score,
    tried,
    scorer: best.scorer,
  };
}

/** "ease 1 + rp3beta 0.5": a blend's parts for logs and reports. */
export function blendLabel(parts: readonly BlendPart[]): string {
  return parts.map((p) => `${p.name} ${p.weight}`).join(' + ');
}
