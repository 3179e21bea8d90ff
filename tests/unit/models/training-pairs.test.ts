import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/training/random.ts';
import { TrainingPairs } from '../../../lib/models/training-pairs.ts';
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
});
