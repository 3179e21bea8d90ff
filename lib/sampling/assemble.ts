/**
 * Writes one training set, user by user, in (user, item) order: a 4-way merge of the
 * user's real positives, kept synthetic positives, kept dislikes and sampled negatives,
 * each already item-sorted (sampled ones are sorted per user). Row counts are known before
 * allocation, so every column is allocated once at its final size.
 */
import type { Candidates } from './candidates.ts';
import { KEPT } from './candidates.ts';
import type { NegativeSampler } from './negatives.ts';
import type { PositiveCsr } from './sort.ts';
import { SOURCE } from './types.ts';
import type { ResampledSet } from './types.ts';

export interface AssembleArgs {
  nUsers: number;
  nItems: number;
  real: PositiveCsr;
  /** Kept synthetic rows (B); absent for A. */
  synthetic?: Candidates;
  syntheticWeight: number;
  perPositive: number;
  sampler: NegativeSampler;
}

export function assemble(args: AssembleArgs): ResampledSet {
  const { nUsers, nItems, real, synthetic: c, perPositive: k, sampler, syntheticWeight } = args;
  // Pass 1: rows per user.
  const rowPtr = new Int32Array(nUsers + 1);
  let maxNeg = 0;
  let maxSyn = 0;
  for (let u = 0; u < nUsers; u++) {
    let pos = real.ptr[u + 1]! - real.ptr[u]!;
    let rows = 0;
    if (c) {
      const e = c.ptr[u + 1]!;
      for (let p = c.ptr[u]!; p < e; p++) {
        if (c.state[p] !== KEPT) continue;
        if (c.label[p]) pos++;
        else rows++;
      }
      maxSyn = Math.max(maxSyn, e - c.ptr[u]!);
    }
    const neg = pos < nItems ? k * pos : 0;
    if (neg > maxNeg) maxNeg = neg;
    rows += pos + neg;
    const total = rowPtr[u]! + rows;
    if (total > 0x7fffffff)
      throw new RangeError(`training set would exceed 2^31 rows at user ${u}`);
    rowPtr[u + 1] = total;
  }
  const n = rowPtr[nUsers]!;
  const out: ResampledSet = {
    nUsers,
    nItems,
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    label: new Uint8Array(n),
    weight: new Float32Array(n).fill(1),
    source: new Uint8Array(n),
    score: new Float32Array(n).fill(NaN),
  };
  const { user, item, label, weight, source, score } = out;
  const neg = new Int32Array(maxNeg);
  const syn = new Int32Array(maxSyn);
  const dis = new Int32Array(maxSyn);
  const BIG = 0x7fffffff;

  for (let u = 0; u < nUsers; u++) {
    let w = rowPtr[u]!;
    const wEnd = rowPtr[u + 1]!;
    if (w === wEnd) continue;
    user.fill(u, w, wEnd);
    let ra = real.ptr[u]!;
    const rEnd = real.ptr[u + 1]!;
    // Kept synthetic rows of u, as candidate positions (already item-sorted).
    let nSyn = 0;
    let nDis = 0;
    if (c) {
      for (let p = c.ptr[u]!, e = c.ptr[u + 1]!; p < e; p++) {
        if (c.state[p] !== KEPT) continue;
        if (c.label[p]) syn[nSyn++] = p;
        else dis[nDis++] = p;
      }
    }
    const nPos = rEnd - ra + nSyn;
    let nNeg = 0;
    if (k > 0) {
      if (nPos < nItems) {
        nNeg = k * nPos;
        sampler.begin();
        for (let q = ra; q < rEnd; q++) sampler.addPositive(real.items[q]!);
        for (let j = 0; j < nSyn; j++) sampler.addPositive(c!.item[syn[j]!]!);
        sampler.draw(u, nPos, neg, nNeg);
        neg.subarray(0, nNeg).sort();
      } else if (nPos > 0) sampler.noCandidates();
    }
    if (nSyn === 0 && nDis === 0 && nNeg === 0) {
      // Real positives only (all of A when perPositive = 0): a straight copy.
      item.set(real.items.subarray(ra, rEnd), w);
      label.fill(1, w, wEnd);
      continue;
    }
    if (nSyn === 0 && nDis === 0) {
      // Real positives and sampled negatives only (every user of A): a 2-way merge.
      let na = 0;
      while (ra < rEnd && na < nNeg) {
        const ri = real.items[ra]!;
        const ni = neg[na]!;
        if (ri < ni) {
          item[w] = ri;
          label[w++] = 1;
          ra++;
        } else {
          item[w] = ni;
          source[w++] = SOURCE.sampled;
          na++;
        }
      }
      for (; ra < rEnd; ra++) {
        item[w] = real.items[ra]!;
        label[w++] = 1;
      }
      for (; na < nNeg; na++) {
        item[w] = neg[na]!;
        source[w++] = SOURCE.sampled;
      }
      continue;
    }
    let sa = 0;
    let da = 0;
    let na = 0;
    while (w < wEnd) {
      const ri = ra < rEnd ? real.items[ra]! : BIG;
      const si = sa < nSyn ? c!.item[syn[sa]!]! : BIG;
      const di = da < nDis ? c!.item[dis[da]!]! : BIG;
      const ni = na < nNeg ? neg[na]! : BIG;
      // Strict comparisons: on equal items (negatives only) dislikes precede sampled ones.
      if (ri <= si && ri <= di && ri <= ni) {
        item[w] = ri;
        label[w] = 1;
        ra++;
      } else if (si <= di && si <= ni) {
        const p = syn[sa++]!;
        item[w] = si;
        label[w] = 1;
        source[w] = c!.src[p]!;
        weight[w] = syntheticWeight;
        score[w] = c!.score[p]!;
      } else if (di <= ni) {
        const p = dis[da++]!;
        item[w] = di;
        source[w] = c!.src[p]!;
        weight[w] = syntheticWeight;
        score[w] = c!.score[p]!;
      } else {
        item[w] = ni;
        source[w] = SOURCE.sampled;
        na++;
      }
      w++;
    }
  }
  return out;
}
