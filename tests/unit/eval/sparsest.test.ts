import { describe, expect, it } from 'vitest';
import { csrFromCoo } from '../../../lib/eval/index.ts';
import { sparsestPositions } from '../../../lib/eval/full-ranking.ts';
import { capSparsest } from '../../../lib/eval/sparsest-users.ts';
import { Rng } from '../../../lib/training/random.ts';

/** The rule by a comparator sort: fewest train items first, ties by lower position. */
function reference(users: Int32Array, counts: Int32Array, fraction: number, maxTake: number) {
  const n = users.length;
  const take = Math.min(
    fraction === 0 || n === 0 ? 0 : Math.max(1, Math.floor(n * fraction)),
    maxTake,
  );
  const order = Array.from({ length: n }, (_, q) => q);
  order.sort((x, y) => counts[users[x]!]! - counts[users[y]!]! || x - y);
  return order.slice(0, take).sort((a, b) => a - b);
}

describe('sparsestPositions', () => {
  it('matches a stable sort by train count on random data, with and without a cap', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const nUsers = 1 + rng.int(300);
      const counts = Int32Array.from({ length: nUsers }, () => rng.int(1 + rng.int(40)));
      const users = Int32Array.from({ length: nUsers }, (_, u) => u).filter(() => rng.int(4) > 0);
      const fraction = [0, 0.1, 0.25, 0.5, 1][rng.int(5)]!;
      const cap = rng.int(3) === 0 ? Infinity : rng.int(nUsers + 2);
      expect(Array.from(sparsestPositions(users, counts, fraction, cap))).toEqual(
        reference(users, counts, fraction, cap),
      );
    }
  });

  it('keeps every user with fewer items than the cut, and the lower ids at the cut', () => {
    const users = Int32Array.of(0, 1, 2, 3, 4, 5);
    const counts = Int32Array.of(9, 3, 5, 3, 1, 5);
    expect(Array.from(sparsestPositions(users, counts, 1, 4))).toEqual([1, 2, 3, 4]);
    expect(Array.from(sparsestPositions(users, counts, 0.5))).toEqual([1, 3, 4]);
    expect(sparsestPositions(users, counts, 1, 0)).toHaveLength(0);
  });
});

describe('capSparsest', () => {
  it('keeps a selection whole up to the cap, else its sparsest users (ties: lower id)', () => {
    // Train rows per user: 0:4, 1:1, 2:3, 3:1, 4:2.
    const train = csrFromCoo(
      Int32Array.of(0, 0, 0, 0, 1, 2, 2, 2, 3, 4, 4),
      Int32Array.of(0, 1, 2, 3, 0, 0, 1, 2, 1, 0, 1),
      11,
      5,
    );
    const selected = Int32Array.of(0, 2, 3, 4);
    expect(capSparsest(selected, train, 4)).toBe(selected);
    expect([...capSparsest(selected, train, 2)]).toEqual([3, 4]);
    expect([...capSparsest(Int32Array.of(0, 1, 2, 3, 4), train, 3)]).toEqual([1, 3, 4]);
  });
});
