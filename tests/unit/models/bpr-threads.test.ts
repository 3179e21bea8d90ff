import { describe, expect, it } from 'vitest';
import { WasmArena, arenaBytes } from '../../../lib/compute/arena.ts';
import { StrataSampler } from '../../../lib/models/bpr/bpr-strata.ts';
import { bprThreadArrays, planBprThreads } from '../../../lib/models/bpr/bpr-threads.ts';
import { TrainingPairs } from '../../../lib/models/training-pairs.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { trainingSetOf } from '../../helpers/training-set.ts';

const { pre, nUsers, nItems } = syntheticSplits({
  users: 400,
  items: 300,
  interactions: 12_000,
  seed: 5,
  kCore: 3,
});
// Two explicit negatives: rows that are not positives, so no thread samples from them.
const set = trainingSetOf(pre.train, nUsers, nItems, [
  { user: 0, item: 7, label: 0 },
  { user: 1, item: 8, label: 0 },
]);

describe('BPR-MF threads: their arrays in the shared memory', () => {
  it('plans each thread its positives x negatives samples, and sizes their arrays from that', () => {
    const plan = planBprThreads(set, 3, 2);
    expect(plan.rows.map((r) => r.n).reduce((a, b) => a + b)).toBe(set.n);
    expect(plan.samples.reduce((a, b) => a + b)).toBe(2 * pre.train.n);
    for (const [t, rows] of plan.rows.entries())
      expect(plan.samples[t]).toBe(2 * new TrainingPairs(rows).positives.length);
    // Per thread: its two float64 sums, then the four sample columns.
    expect(bprThreadArrays(plan)).toEqual(plan.samples.flatMap((n) => [4, n, n, n, n]));
  });

  it('draws the strata into the columns it is given (views of them, the same samples)', () => {
    const plan = planBprThreads(set, 2, 2);
    const pairs = new TrainingPairs(plan.rows[1]!);
    const n = plan.samples[1]!;
    const arena = new WasmArena(arenaBytes([n, n, n, n]));
    const columns = {
      user: arena.ints(n),
      pos: arena.ints(n),
      neg: arena.ints(n),
      weight: arena.floats(n),
    };
    const inArena = new StrataSampler(pairs, plan.itemOrder, 2, 2, 9, 1, columns).epoch(3);
    const own = new StrataSampler(pairs, plan.itemOrder, 2, 2, 9, 1).epoch(3);
    let at = 0;
    inArena.strata.forEach((s, b) => {
      expect(s.user.buffer).toBe(arena.memory.buffer);
      expect(arena.offsetOf(s.user)).toBe(arena.offsetOf(columns.user) + 4 * at);
      expect(arena.offsetOf(s.weight)).toBe(arena.offsetOf(columns.weight) + 4 * at);
      at += s.n;
      const o = own.strata[b]!;
      expect([s.n, s.user, s.pos, s.neg, s.weight]).toEqual([o.n, o.user, o.pos, o.neg, o.weight]);
    });
    expect(at).toBe(n);
    const short = { ...columns, neg: arena.ints(0) };
    expect(() => new StrataSampler(pairs, plan.itemOrder, 2, 2, 9, 1, short)).toThrow(RangeError);
  });
});
