/**
 * Pruning and balancing of synthetic positives, after `denoise`:
 * 1. prune: per source, drop the least plausible (highest-loss) `dropRate` share of its
 *    positives and of its dislikes (LLMRec's denoising);
 * 2. cap: per user, keep at most `maxSyntheticPerUser`;
 * 3. share: keep at most the number the target share allows, cold users' rows first.
 * Steps 2 and 3 keep the rows with the smallest order value (`keepOrder`): first the row's
 * rank among the same source's rows for the same user, by descending score (0 = that
 * source's best for the user), then a seeded Efraimidis-Spirakis key, weighted by tailBoost
 * for long-tail items, among rows of equal rank. So the cap keeps each source's best rows of
 * a user, and the share takes every user's best rows before anyone's second best.
 *
 * Why a rank and not a sample weighted by score: the sources' scores live on different
 * scales (the teacher's is its rank, 1 - r/k; the GAN's the generator's output in [0, 1]; an
 * LLM answer's its confidence, 1 for a model's reply, the liked item's softmax share for the
 * local chooser), and within one source they order one user's proposals. Their order is the
 * information, their size is not; a score-weighted sample would still keep a teacher's fifth
 * proposal over its first one time in six (weights 0.2 and 1). Rows of one source that tie
 * (an LLM's) are sampled by the keys alone.
 *
 * Keys are drawn for every row in table order, so a row's key does not change when filters
 * before it change; ranks count only the rows still kept after denoise and prune.
 */
import type { Rng } from '../training/random.ts';
import type { Candidates } from './candidates.ts';
import { DROP, KEPT } from './candidates.ts';
import { sparsestUsers } from '../eval/sparsest-users.ts';
import type { Csr } from '../eval/types.ts';
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

/**
 * Drops every kept synthetic row (positive or dislike) of a user outside the `fraction` of
 * users with real rows that have the fewest of them (evaluate's sparse-user segment rule,
 * lib/eval/sparsest-users.ts).
 */
export function keepSparsestUsers(c: Candidates, real: Csr, fraction: number): void {
  if (fraction >= 1) return;
  const nUsers = real.indptr.length - 1;
  const keep = new Uint8Array(nUsers);
  for (const u of sparsestUsers(real, fraction)) keep[u] = 1;
  for (let u = 0; u < nUsers; u++) {
    if (keep[u]) continue;
    for (let p = c.ptr[u]!; p < c.ptr[u + 1]!; p++)
      if (c.state[p] === KEPT) c.state[p] = DROP.notSparseUser;
  }
}

/** Below 1 with room to spare, so rank + tie-break never reaches the next rank. */
const MAX_TIE_BREAK = 1 - 2 ** -20;

/**
 * One order value per candidate row, smaller = kept first: rank + tie-break. The rank of a
 * kept positive counts the kept positives of the same user and input source with a higher
 * score (equal scores share a rank). The tie-break is the Efraimidis-Spirakis key of a
 * weighted sample without replacement, k = Exp(1) / w with w = tailBoost for long-tail items,
 * else 1, mapped into [0, 1) as k / (1 + k), which keeps its order. Rows that are not kept
 * positives get only the tie-break (nothing compares them).
 */
export function keepOrder(
  c: Candidates,
  tail: Uint8Array,
  tailBoost: number,
  rng: Rng,
): Float64Array {
  const order = new Float64Array(c.n);
  const inv = 1 / tailBoost;
  for (let p = 0; p < c.n; p++) {
    const e = -Math.log(1 - rng.next());
    const k = tail[c.item[p]!] ? e * inv : e;
    order[p] = Math.min(k / (1 + k), MAX_TIE_BREAK);
  }
  addSourceRanks(c, order);
  return order;
}

/** Adds each kept positive's rank within (user, input source) by descending score. */
function addSourceRanks(c: Candidates, order: Float64Array): void {
  const { entry, score } = c;
  const nUsers = c.ptr.length - 1;
  let most = 0;
  for (let u = 0; u < nUsers; u++) most = Math.max(most, c.ptr[u + 1]! - c.ptr[u]!);
  const idx = new Int32Array(most);
  const bySourceThenScore = (a: number, b: number) =>
    entry[a]! - entry[b]! || (score[a]! > score[b]! ? -1 : score[a]! < score[b]! ? 1 : 0);
  for (let u = 0; u < nUsers; u++) {
    let m = 0;
    for (let p = c.ptr[u]!, e = c.ptr[u + 1]!; p < e; p++)
      if (c.state[p] === KEPT && c.label[p] === 1) idx[m++] = p;
    if (m < 2) continue;
    const rows = idx.subarray(0, m).sort(bySourceThenScore);
    let sourceStart = 0;
    let rank = 0;
    for (let j = 1; j < m; j++) {
      const p = rows[j]!;
      const q = rows[j - 1]!;
      if (entry[p] !== entry[q]) sourceStart = j;
      if (entry[p] !== entry[q] || score[p] !== score[q]) rank = j - sourceStart;
      order[p] = order[p]! + rank;
    }
  }
}

/** Keeps at most `cap` kept positives per user: those with the smallest order values. */
export function capPerUser(c: Candidates, order: Float64Array, cap: number): void {
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
      val[m++] = order[p]!;
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
 * then the rest, each group by smallest order value. Returns the candidates before subsampling.
 */
export function subsampleToShare(
  c: Candidates,
  order: Float64Array,
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
        coldVal[jc++] = order[p]!;
      } else {
        warmIdx[jw] = p;
        warmVal[jw++] = order[p]!;
      }
    }
  }
  const scratch = new Float64Array(Math.max(nCold, nWarm));
  keepSmallest(coldIdx, coldVal, nCold, allowed, c.state, DROP.share, scratch);
  keepSmallest(warmIdx, warmVal, nWarm, allowed - nCold, c.state, DROP.share, scratch);
  return total;
}
