import { describe, expect, it } from 'vitest';
import { timeOrderedHistories, withoutLatest } from '../../../lib/llm/index.ts';
import { recencyRanksAsync } from '../../../lib/models/baselines/recency.ts';

/** User 0's rows, and one row of user 1 between them, as a train split holds them. */
const rows = (ts: number[]) => ({
  n: 5,
  user: new Int32Array([0, 0, 1, 0, 0]),
  item: new Int32Array([5, 2, 7, 9, 1]),
  ts: Float64Array.from(ts),
});

/** User 0's items, latest first, by the recency ranks the teacher and the GAN read. */
async function byRecency(t: ReturnType<typeof rows>): Promise<number[]> {
  const ranks = await recencyRanksAsync(t, 2);
  const mine = [0, 1, 3, 4].map((r, k) => ({ item: t.item[r]!, rank: ranks[k]! }));
  return mine.sort((a, b) => a.rank - b.rank).map((x) => x.item);
}

describe("the item-sequence chooser's histories", () => {
  it('follow the timestamps, ties by item id, as the recency ranks do', async () => {
    const t = rows([30, 10, 5, 20, 20]);
    const h = timeOrderedHistories(t, 2);
    expect(Array.from(h.indices.subarray(h.indptr[0], h.indptr[1]))).toEqual([2, 1, 9, 5]);
    expect((await byRecency(t)).reverse()).toEqual([2, 1, 9, 5]);
  });

  it('follow the file order without timestamps, so one step back drops the row the split held latest', async () => {
    const t = rows([NaN, NaN, NaN, NaN, NaN]);
    const h = timeOrderedHistories(t, 2);
    expect(Array.from(h.indices.subarray(h.indptr[0], h.indptr[1]))).toEqual([5, 2, 9, 1]);
    expect((await byRecency(t))[0]).toBe(1);
    const back = withoutLatest(h);
    expect(Array.from(back.indices.subarray(back.indptr[0], back.indptr[1]))).toEqual([5, 2, 9]);
  });
});
