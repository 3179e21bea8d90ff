import { describe, expect, it } from 'vitest';
import { BUCKET_BYTES, StrataSampler } from '../../../lib/models/bpr/bpr-strata.ts';
import type { BprSamples } from '../../../lib/models/bpr/bpr-samples.ts';
import { TrainingPairs } from '../../../lib/models/training-pairs.ts';
import type { TrainingSet } from '../../../lib/models/types.ts';
import { randomTrainingSet } from '../../helpers/training-set.ts';

/** Random rows, one in ten an explicit negative; weights 0.5 .. 1.5. */
function randomSet(nUsers: number, nItems: number, n: number, seed: number): TrainingSet {
  return randomTrainingSet(nUsers, nItems, n, seed, true);
}

/** One user's positives (items 0 .. positives - 1) of a catalog of nItems, weight 1. */
function oneUser(positives: number, nItems: number): TrainingSet {
  return {
    nUsers: 1,
    nItems,
    n: positives,
    user: new Int32Array(positives),
    item: Int32Array.from({ length: positives }, (_, i) => i),
    label: new Uint8Array(positives).fill(1),
    weight: new Float32Array(positives).fill(1),
  };
}

/** Pearson's chi-square statistic of `counts` against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

/** One block (the whole catalog): a one-thread epoch drawn as the threads draw theirs. */
function wholeCatalog(pairs: TrainingPairs, negatives: number, bucketBytes = BUCKET_BYTES) {
  const items = Int32Array.from({ length: pairs.set.nItems }, (_, i) => i);
  return new StrataSampler(pairs, items, 1, negatives, 3, 0, undefined, bucketBytes);
}

const copy = (s: BprSamples): BprSamples => ({
  n: s.n,
  user: s.user.slice(),
  pos: s.pos.slice(),
  neg: s.neg.slice(),
  weight: s.weight.slice(),
});

describe('BPR-MF strata sampler', () => {
  it('draws every positive once per negative, in one order, each with a negative', () => {
    const set = randomSet(300, 200, 6000, 5);
    const pairs = new TrainingPairs(set);
    const negatives = 2;
    const sampler = wholeCatalog(pairs, negatives);
    const s = copy(sampler.epoch(4).strata[0]!);
    const m = pairs.positives.length;
    expect(s.n).toBe(m * negatives);
    const key = (u: number, i: number, w: number) => `${u}:${i}:${w}`;
    const rows = Array.from(pairs.positives, (r) =>
      key(set.user[r]!, set.item[r]!, set.weight[r]!),
    );
    const firstPass = Array.from({ length: m }, (_, k) => key(s.user[k]!, s.pos[k]!, s.weight[k]!));
    expect(firstPass.sort()).toEqual(rows.sort());
    const explicit = new Set<string>();
    for (let k = 0; k < set.n; k++)
      if (set.label[k] === 0) explicit.add(`${set.user[k]}:${set.item[k]}`);
    const { negPtr, explicitShare } = pairs.byUser();
    let theirs = 0;
    let taken = 0;
    let expected = 0;
    for (let k = 0; k < s.n; k++) {
      // The second pass repeats the first one's order, with negatives of its own.
      const q = k % m;
      expect([s.user[k], s.pos[k], s.weight[k]]).toEqual([s.user[q], s.pos[q], s.weight[q]]);
      const u = s.user[k]!;
      if (explicit.has(`${u}:${s.neg[k]}`)) taken++;
      else expect(pairs.isPositive(u, s.neg[k]!)).toBe(false);
      if (negPtr[u + 1]! > negPtr[u]!) {
        theirs++;
        expected += explicitShare[u]!;
      }
    }
    // Users with explicit negatives take one at their explicit share (their weight over
    // their positives', at most a half).
    expect(expected / theirs).toBeGreaterThan(0.05);
    expect(expected / theirs).toBeLessThan(0.5);
    expect(Math.abs(taken - expected) / theirs).toBeLessThan(0.02);
    // A function of (set, seed, epoch, thread): drawn again, by another sampler, the same.
    expect(copy(wholeCatalog(pairs, negatives).epoch(4).strata[0]!)).toEqual(s);
    expect(sampler.epoch(5).strata[0]!.neg).not.toEqual(s.neg);
  });

  it('orders the positives uniformly and draws negatives uniformly among the rest', () => {
    // 4 positives: 24 orders. Many small buckets (Rao-Sandelius) or one (plain Fisher-Yates).
    const four = new TrainingPairs(oneUser(4, 10));
    for (const bucketBytes of [16, BUCKET_BYTES]) {
      const sampler = wholeCatalog(four, 1, bucketBytes);
      const orders = new Map<string, number>();
      const negs = Array<number>(10).fill(0);
      for (let epoch = 1; epoch <= 12_000; epoch++) {
        const s = sampler.epoch(epoch).strata[0]!;
        const o = s.pos.join();
        orders.set(o, (orders.get(o) ?? 0) + 1);
        s.neg.forEach((j) => negs[j]!++);
      }
      expect(orders.size).toBe(24);
      // Chi-square, 23 and 5 degrees of freedom: P(> 60) and P(> 25) are below 1e-4.
      expect(chiSquare([...orders.values()])).toBeLessThan(60);
      expect(negs.slice(0, 4)).toEqual([0, 0, 0, 0]);
      expect(chiSquare(negs.slice(4))).toBeLessThan(25);
    }
  });

  it('finds the one free item of a user with almost every item positive', () => {
    const s = wholeCatalog(new TrainingPairs(oneUser(9, 10)), 3).epoch(1).strata[0]!;
    expect([...new Set(s.neg)]).toEqual([9]);
    // Every item positive: a negative is still drawn (no better one exists).
    const all = wholeCatalog(new TrainingPairs(oneUser(10, 10)), 1).epoch(1).strata[0]!;
    expect(all.neg.every((j) => j >= 0 && j < 10)).toBe(true);
  });
});
