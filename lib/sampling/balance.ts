/**
 * Pruning and balancing of synthetic positives, after `denoise`:
 * 1. prune: per source, drop the least plausible (highest-loss) `dropRate` share of its
 *    positives and of its dislikes (LLMRec's denoising);
 * 2. cap: per user, keep at most `maxSyntheticPerUser`;
 * 3. share: keep at most the number the target share allows, cold users' rows first.
 * Steps 2 and 3 are one seeded weighted sample without replacement (Efraimidis-Spirakis):
 * every row draws key = Exp(1) / weight, weight = tailBoost for long-tail items, else 1,
 * and a step keeps the smallest keys. Keys are drawn for every row in table order, so a row's
 * key does not change when filters before it change.
 */
import type { Rng } from '../training/random.ts';
import type { Candidates } from './candidates.ts';
import { DROP, KEPT } from './candidates.ts';
import { keepSmallest } from './select.ts';

/**
 * Loss-based pruning, per source (input index) and per label: drops floor(dropRate * m) of its
 * m kept positives and floor(dropRate * m') of its m' kept dislikes, the least plausible (highest base-model
 * loss) first. A triple's liked and disliked rows share one plausibility, so the dislikes that
 * go are those of the pruned triples. Ties: the earlier row in table order stays.
 */
export function prune(c: Candidates, nSources: number, dropRate: number): void {
  if (dropRate <= 0) return;
  for (const label of [1, 0]) {
    const sizes = new Int32Array(nSources);
    for (let p = 0; p < c.n; p++)
      if (c.state[p] === KEPT && c.label[p] === label) sizes[c.entry[p]!]!++;
    for (let e = 0; e < nSources; e++) {
      const m = sizes[e]!;
      if (m === 0) continue;
      const idx = new Int32Array(m);
      const val = new Float64Array(m);
      let j = 0;
      for (let p = 0; p < c.n; p++) {
        if (c.state[p] !== KEPT || c.label[p] !== label || c.entry[p] !== e) continue;
        idx[j] = p;
        val[j++] = -c.plausibility[p]!; // the lowest loss has the smallest value and stays
      }
      const drop = Math.floor(dropRate * m + 1e-9);
      keepSmallest(idx, val, m, m - drop, c.state, DROP.pruned, new Float64Array(m));
    }
  }
}

/** One sampling key per candidate row (see the file comment). */
export function sampleKeys(
  c: Candidates,
  tail: Uint8Array,
  tailBoost: number,
  rng: Rng,
): Float64Array {
  const key = new Float64Array(c.n);
  const inv = 1 / tailBoost;
  for (let p = 0; p < c.n; p++) {
    const e = -Math.log(1 - rng.next());
    key[p] = tail[c.item[p]!] ? e * inv : e;
  }
  return key;
}

/** Keeps at most `cap` kept positives per user: those with the smallest keys. */
export function capPerUser(c: Candidates, key: Float64Array, cap: number): void {
  const nUsers = c.ptr.length - 1;
  let most = 0;
  for (let u = 0; u < nUsers; u++) most = Math.max(most, c.ptr[u + 1]! - c.ptr[u]!);
  const idx = new Int32Array(most);
  const val = new Float64Array(most);
  const scratch = new Float64Array(most);
  for (let u = 0; u < nUsers; u++) {
    const s = c.ptr[u]!;
    const e = c.ptr[u + 1]!;
    if (e - s <= cap) continue;
    let m = 0;
    for (let p = s; p < e; p++) {
      if (c.state[p] !== KEPT || c.label[p] !== 1) continue;
      idx[m] = p;
      val[m++] = key[p]!;
    }
    keepSmallest(idx, val, m, cap, c.state, DROP.userCap, scratch);
  }
}

/** Most synthetic positives S with S / (real + S) <= share. */
export function allowedSynthetic(realPositives: number, share: number): number {
  if (share <= 0) return 0;
  // The epsilon absorbs float error when share * real / (1 - share) is an integer.
  return Math.floor((share * realPositives) / (1 - share) + 1e-7);
}

/**
 * Subsamples kept positives down to `allowed`: rows of cold users (`cold[u]` = 1) first,
 * then the rest, each group by smallest key. Returns the candidates before subsampling.
 */
export function subsampleToShare(
  c: Candidates,
  key: Float64Array,
  cold: Uint8Array,
  allowed: number,
): number {
  const nUsers = c.ptr.length - 1;
  let nCold = 0;
  let nWarm = 0;
  for (let u = 0; u < nUsers; u++) {
    for (let p = c.ptr[u]!, e = c.ptr[u + 1]!; p < e; p++) {
      if (c.state[p] !== KEPT || c.label[p] !== 1) continue;
      if (cold[u]) nCold++;
      else nWarm++;
    }
  }
  const total = nCold + nWarm;
  if (total <= allowed) return total;
  const coldIdx = new Int32Array(nCold);
  const coldVal = new Float64Array(nCold);
  const warmIdx = new Int32Array(nWarm);
  const warmVal = new Float64Array(nWarm);
  let jc = 0;
  let jw = 0;
  for (let u = 0; u < nUsers; u++) {
    for (let p = c.ptr[u]!, e = c.ptr[u + 1]!; p < e; p++) {
      if (c.state[p] !== KEPT || c.label[p] !== 1) continue;
      if (cold[u]) {
        coldIdx[jc] = p;
        coldVal[jc++] = key[p]!;
      } else {
        warmIdx[jw] = p;
        warmVal[jw++] = key[p]!;
      }
    }
  }
  const scratch = new Float64Array(Math.max(nCold, nWarm));
  keepSmallest(coldIdx, coldVal, nCold, allowed, c.state, DROP.share, scratch);
  keepSmallest(warmIdx, warmVal, nWarm, allowed - nCold, c.state, DROP.share, scratch);
  return total;
}
