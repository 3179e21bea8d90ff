import { describe, expect, it } from 'vitest';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import type { Csr } from '../../../lib/eval/types.ts';
import { recencyRanksAsync } from '../../../lib/models/baselines/recency.ts';
import { strongestBaseline } from '../../../lib/models/baselines/strongest.ts';
import {
  keptEntries,
  keptRanks,
  latestRowsLeftOut,
  proposePseudoPositives,
  teacherOneStepBack,
} from '../../../lib/teacher/index.ts';
import type { PseudoPositives } from '../../../lib/teacher/index.ts';

/**
 * Users walk a cycle of items one step at a time, each from their own start: train holds
 * their walk but the last step, which is their validation item.
 */
function chainLog(nUsers: number, nItems: number) {
  const user: number[] = [];
  const item: number[] = [];
  const ts: number[] = [];
  const vUser: number[] = [];
  const vItem: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const start = (u * 37) % nItems;
    const length = 8 + (u % 9);
    // Latest first in the file: the ranks come from the timestamps, not the file order.
    for (let t = length - 2; t >= 0; t--) {
      user.push(u);
      item.push((start + t) % nItems);
      ts.push(1000 + t);
    }
    vUser.push(u);
    vItem.push((start + length - 1) % nItems);
  }
  const rows = {
    n: user.length,
    user: Int32Array.from(user),
    item: Int32Array.from(item),
    ts: Float64Array.from(ts),
  };
  return {
    nUsers,
    nItems,
    rows,
    train: csrFromCoo(rows.user, rows.item, rows.n, nUsers),
    valid: csrFromCoo(Int32Array.from(vUser), Int32Array.from(vItem), nUsers, nUsers),
  };
}

const has = (csr: Csr, u: number, i: number) =>
  csr.indices.subarray(csr.indptr[u]!, csr.indptr[u + 1]!).includes(i);

/** Rows whose item is in the user's row of `csr`. */
const hits = (rows: PseudoPositives, csr: Csr) =>
  rows.user.filter((u, r) => has(csr, u, rows.item[r]!)).length;

describe('the teacher one step back', () => {
  it("leaves out each user's latest train row, not a user's only one", () => {
    // User 0: items 5, 6, 7 at times 1, 3, 2 (6 is the latest); user 1: one row; user 2: none.
    const rows = {
      n: 4,
      user: Int32Array.of(0, 0, 0, 1),
      item: Int32Array.of(5, 6, 7, 8),
      ts: Float64Array.of(1, 3, 2, 9),
    };
    const train = csrFromCoo(rows.user, rows.item, rows.n, 3);
    return recencyRanksAsync(rows, 3).then(async (ranks) => {
      const keep = latestRowsLeftOut(train, ranks);
      const back = keptEntries(train, keep);
      expect([...back.indptr]).toEqual([0, 2, 3, 3]);
      expect([...back.indices.subarray(0, 2)].sort()).toEqual([5, 7]);
      expect(back.indices[2]).toBe(8);
      // The shorter history's own recency: item 7 is user 0's latest now, 5 one before it.
      const backRanks = keptRanks(ranks, keep);
      const rankOf = (i: number) => backRanks[[...back.indices].indexOf(i)];
      expect([rankOf(7), rankOf(5), rankOf(8)]).toEqual([0, 1, 0]);
      expect(backRanks).toEqual(
        await recencyRanksAsync(
          {
            n: 3,
            user: Int32Array.of(0, 0, 1),
            item: Int32Array.of(5, 7, 8),
            ts: Float64Array.of(1, 2, 9),
          },
          3,
        ),
      );
    });
  });

  it('proposes from the history without the latest row: aimed before validation, not at it', async () => {
    const log = chainLog(300, 120);
    const recency = await recencyRanksAsync(log.rows, log.nUsers);
    const teacher = await strongestBaseline(log.train, log.valid, log.nItems, {
      candidates: ['itemknn'],
      recency,
    });
    expect(typeof teacher.candidates[0]!.chosen!.halfLife).toBe('number');
    // Nothing left out, the teacher scores as it does (its recency weighting kept).
    const all = teacher.withHistoryMask!(new Uint8Array(log.rows.n).fill(1));
    const users = Int32Array.from({ length: 40 }, (_, u) => u);
    const [x, y] = [new Float32Array(40 * log.nItems), new Float32Array(40 * log.nItems)];
    teacher.scorer.scoreUsers(users, x);
    all.scoreUsers(users, y);
    for (let k = 0; k < x.length; k++) expect(y[k]).toBeCloseTo(x[k]!, 5);

    // The best proposal of each user: the step after the history's end.
    const options = { usersFraction: 1, k: 1, maxPerRealItem: 1, excludeTopPopular: 0 };
    const real = await proposePseudoPositives(log.train, log.nItems, teacher, options);
    const stepBack = teacherOneStepBack(log.train, recency, log.nItems, teacher)!;
    const back = await proposePseudoPositives(
      stepBack.history,
      log.nItems,
      stepBack.teacher,
      options,
    );
    const keep = latestRowsLeftOut(log.train, recency);
    const history = keptEntries(log.train, keep);
    const leftOut = keptEntries(
      log.train,
      keep.map((k) => 1 - k),
    );
    // The real proposals are the validation items; one step back they are the left-out
    // latest rows (which resample drops as duplicates of real rows).
    expect(hits(real, log.valid)).toBeGreaterThan(0.9 * log.nUsers);
    expect(hits(back, leftOut)).toBeGreaterThan(0.9 * log.nUsers);
    expect(hits(back, log.valid)).toBeLessThan(0.1 * log.nUsers);
    expect(hits(back, history)).toBe(0);
    expect(back.usersAugmented).toBe(log.nUsers);
  }, 60_000);

  it('gives nothing for a teacher that cannot leave rows out (a blend)', async () => {
    const log = chainLog(100, 60);
    const recency = await recencyRanksAsync(log.rows, log.nUsers);
    const teacher = await strongestBaseline(log.train, log.valid, log.nItems, {
      candidates: ['itemknn'],
      recency,
    });
    const { withHistoryMask: _mask, ...blend } = teacher;
    expect(teacherOneStepBack(log.train, recency, log.nItems, blend)).toBeUndefined();
  }, 60_000);
});
