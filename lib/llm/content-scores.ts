/**
 * Content similarity of candidates to a user's history, from item side information: the
 * user's profile is the recency-weighted sum of their items' feature vectors, and a
 * candidate's score is the cosine between its vector and the profile. It sees what an
 * ID-only model cannot: an item nobody co-watched with the history still scores by genre,
 * decade and title words.
 */
import type { ItemFeatures } from './item-features.ts';

/** Items back in the history at which an item counts half as much as the most recent one. */
const HALF_LIFE = 20;

/** Cosine of each candidate with the profile of `history` (most recent first); 0 without features. */
export function contentScores(
  f: ItemFeatures,
  history: Int32Array,
  candidates: Int32Array,
  profile: Float64Array = new Float64Array(f.names.length),
): Float64Array {
  const touched: number[] = [];
  for (let s = 0; s < history.length; s++) {
    const h = history[s]!;
    if (h < 0 || h >= f.nItems) continue;
    const w = Math.pow(0.5, s / HALF_LIFE);
    for (let k = f.indptr[h]!; k < f.indptr[h + 1]!; k++) {
      const j = f.indices[k]!;
      if (profile[j] === 0) touched.push(j);
      profile[j] = profile[j]! + w * f.values[k]!;
    }
  }
  let norm = 0;
  for (const j of touched) norm += profile[j]! * profile[j]!;
  norm = Math.sqrt(norm);
  const out = new Float64Array(candidates.length);
  if (norm > 0)
    candidates.forEach((c, r) => {
      let dot = 0;
      for (let k = f.indptr[c]!; k < f.indptr[c + 1]!; k++)
        dot += profile[f.indices[k]!]! * f.values[k]!;
      out[r] = dot / norm;
    });
  // The caller's scratch profile goes back to zeros.
  for (const j of touched) profile[j] = 0;
  return out;
}

/**
 * `base + weight * spread(base) * standardized(content)`: the content scores, centred and
 * scaled to the base scores' spread, added with `weight`. Weight 0 returns the base scores;
 * constant content (no features) changes nothing.
 */
export function mixScores(
  base: ArrayLike<number>,
  content: Float64Array,
  weight: number,
): number[] {
  const out = Array.from(base);
  if (weight === 0) return out;
  const sb = spread(out);
  const sc = spread(content);
  if (sb === 0 || sc === 0) return out;
  let mc = 0;
  for (const c of content) mc += c;
  mc /= content.length;
  return out.map((b, k) => b + (weight * sb * (content[k]! - mc)) / sc);
}

/** Population standard deviation. */
function spread(x: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < x.length; k++) m += x[k]!;
  m /= x.length;
  let v = 0;
  for (let k = 0; k < x.length; k++) v += (x[k]! - m) ** 2;
  return Math.sqrt(v / x.length);
}
