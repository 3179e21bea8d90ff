import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/training/random.ts';
import { keepSmallest, kthSmallest } from '../../../lib/sampling/select.ts';
import { orderByUserItem, realPositives } from '../../../lib/sampling/sort.ts';

describe('selection and ordering helpers', () => {
  it('kthSmallest matches a sort, with and without ties', () => {
    const rng = new Rng(1);
    for (const [m, range] of [
      [1, 10],
      [7, 3],
      [200, 1e9],
      [1000, 5],
      [513, 2],
    ] as const) {
      const a = Float64Array.from({ length: m }, () => rng.int(range));
      const sorted = Float64Array.from(a).sort();
      for (const k of [0, m >> 1, m - 1])
        expect(kthSmallest(Float64Array.from(a), m, k)).toBe(sorted[k]);
    }
  });

  it('keepSmallest keeps exactly `keep` rows, the smallest, earliest on ties', () => {
    const val = Float64Array.from([5, 1, 3, 3, 3, 0, 9]);
    const idx = Int32Array.from([10, 11, 12, 13, 14, 15, 16]);
    const state = new Uint8Array(20);
    keepSmallest(idx, val, 7, 4, state, 7, new Float64Array(7));
    // Kept: 0 (15), 1 (11), and the first two 3s (12, 13); dropped: 14, 10, 16.
    expect([...state.subarray(10, 17)]).toEqual([7, 0, 0, 0, 7, 0, 7]);
  });

  it('orderByUserItem is a stable (user, item) sort', () => {
    const rng = new Rng(2);
    const n = 2000;
    const user = Int32Array.from({ length: n }, () => rng.int(30));
    const item = Int32Array.from({ length: n }, () => rng.int(40));
    const { ptr, perm } = orderByUserItem(user, item, n, 30, 40);
    const ref = Array.from({ length: n }, (_, k) => k).sort(
      (x, y) => user[x]! - user[y]! || item[x]! - item[y]! || x - y,
    );
    expect(Array.from(perm)).toEqual(ref);
    for (let u = 0; u < 30; u++)
      for (let p = ptr[u]!; p < ptr[u + 1]!; p++) expect(user[perm[p]!]).toBe(u);
  });

  it('realPositives sorts and dedupes per user', () => {
    const user = Int32Array.from([2, 0, 2, 0, 2, 0]);
    const item = Int32Array.from([5, 3, 1, 3, 5, 0]);
    const r = realPositives(user, item, 6, 3, 6);
    expect(Array.from(r.ptr)).toEqual([0, 2, 2, 4]);
    expect(Array.from(r.items)).toEqual([0, 3, 1, 5]);
    expect(r.duplicates).toBe(2);
  });
});
