import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/training/random.ts';
import {
  EXPLICIT_SHARE,
  explicitShareOf,
  TrainingPairs,
} from '../../../lib/models/training-pairs.ts';
import type { TrainingSet } from '../../../lib/models/types.ts';
import { randomTrainingSet } from '../../helpers/training-set.ts';

/** Random rows, one in ten an explicit negative; weight 1. */
function randomSet(nUsers: number, nItems: number, n: number, seed: number): TrainingSet {
  return randomTrainingSet(nUsers, nItems, n, seed);
}

describe('TrainingPairs', () => {
  it('isPositive answers exactly for every (user, item), behind its Bloom filter', () => {
    const set = randomSet(40, 300, 6000, 1);
    const truth = new Set<number>();
    for (let k = 0; k < set.n; k++)
      if (set.label[k] === 1) truth.add(set.user[k]! * set.nItems + set.item[k]!);
    const pairs = new TrainingPairs(set);
    let positives = 0;
    for (let u = 0; u < set.nUsers; u++)
      for (let i = 0; i < set.nItems; i++) {
        const p = pairs.isPositive(u, i);
        expect(p).toBe(truth.has(u * set.nItems + i));
        if (p) positives++;
      }
    expect(positives).toBe(truth.size);
  });

  it('sampled negatives are never positives of their user and come from the seed alone', () => {
    const set = randomSet(30, 200, 3000, 2);
    set.label.fill(1); // no explicit negatives: every negative is drawn
    const pairs = new TrainingPairs(set);
    const draw = () => {
      const rng = new Rng(7);
      return Int32Array.from({ length: 5000 }, (_, k) => pairs.negative(k % set.nUsers, rng));
    };
    const a = draw();
    a.forEach((j, k) => expect(pairs.isPositive(k % set.nUsers, j)).toBe(false));
    expect(draw()).toEqual(a);
  });

  it("takes an explicit negative by its rank among the user's, sorted by item", () => {
    // The Python worker mirrors this stream (python/recsys_worker/bpr.py sorts them too).
    const set: TrainingSet = {
      nUsers: 1,
      nItems: 10,
      n: 4,
      user: new Int32Array(4),
      item: Int32Array.of(0, 7, 2, 5),
      label: Uint8Array.of(1, 0, 0, 0),
      weight: new Float32Array(4).fill(1),
    };
    const pairs = new TrainingPairs(set);
    const rng = new Rng(11);
    const replay = new Rng(11);
    let explicit = 0;
    for (let t = 0; t < 200; t++) {
      const j = pairs.negative(0, rng);
      if (replay.next() >= 0.5) {
        // A drawn one: follow its draws (one, as item 0 is the only positive, when not 0).
        while (replay.int(10) === 0);
        continue;
      }
      expect(j).toBe([2, 5, 7][replay.int(3)]);
      explicit++;
    }
    expect(explicit).toBeGreaterThan(50);
  });

  it('takes explicit negatives by their weight against the positives, at most half the time', () => {
    // Five positives at weight 1 and one disliked item at weight 0.25: 1 in 20 samples, not
    // one in two (which would make it the negative of every other sample).
    const set: TrainingSet = {
      nUsers: 2,
      // A large catalog: a uniform draw is one of the disliked items 1 time in 2,500 or less.
      nItems: 5000,
      n: 9,
      user: Int32Array.of(0, 0, 0, 0, 0, 0, 1, 1, 1),
      item: Int32Array.of(0, 1, 2, 3, 4, 9, 0, 9, 8),
      label: Uint8Array.of(1, 1, 1, 1, 1, 0, 1, 0, 0),
      weight: Float32Array.of(1, 1, 1, 1, 1, 0.25, 1, 1, 1),
    };
    const pairs = new TrainingPairs(set);
    expect(pairs.byUser().explicitShare[0]).toBeCloseTo(0.05, 12);
    expect(pairs.byUser().explicitShare[1]).toBe(EXPLICIT_SHARE);
    expect(explicitShareOf(4, 0)).toBe(0);
    const rng = new Rng(3);
    const draws = 20_000;
    const taken = [0, 0];
    for (let t = 0; t < draws; t++)
      for (const u of [0, 1]) {
        const j = pairs.negative(u, rng);
        if (j === 9 || (u === 1 && j === 8)) taken[u]!++;
      }
    // The share within about four standard errors.
    expect(Math.abs(taken[0]! / draws - 0.05)).toBeLessThan(0.007);
    expect(Math.abs(taken[1]! / draws - 0.5)).toBeLessThan(0.015);
  });
});
