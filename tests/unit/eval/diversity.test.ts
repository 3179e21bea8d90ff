import { describe, expect, it } from 'vitest';
import { csrFromCoo, transposeCsr } from '../../../lib/eval/csr.ts';
import { intraListDiversity } from '../../../lib/eval/diversity.ts';

// train: user 0 likes {0, 1}, user 1 {0, 1, 2}, user 2 {2}; item 3 has no users.
const train = csrFromCoo(Int32Array.of(0, 0, 1, 1, 1, 2), Int32Array.of(0, 1, 0, 1, 2, 2), 6, 3);
const byItem = transposeCsr(train, 4);
const ild = (lists: number[][], k: number) => {
  const width = Math.max(...lists.map((l) => l.length));
  const flat = new Int32Array(lists.length * width).fill(-1);
  lists.forEach((l, r) => flat.set(l, r * width));
  return intraListDiversity(flat, width, lists.length, k, byItem, 3);
};

describe('intraListDiversity', () => {
  it('is 1 minus the mean pairwise cosine of the items train users', () => {
    expect(ild([[0, 1]], 2)).toBeCloseTo(0, 12); // same users: cosine 1
    expect(ild([[0, 2]], 2)).toBeCloseTo(0.5, 12); // one shared user of 2 and 2
    expect(ild([[0, 3]], 2)).toBeCloseTo(1, 12); // an item nobody liked shares nothing
    expect(ild([[0, 1, 2]], 3)).toBeCloseTo(1 / 3, 12); // (1 + 0.5 + 0.5) / 3 similar
    expect(ild([[0, 1, 2]], 2)).toBeCloseTo(0, 12); // only the first k count
  });

  it('averages over lists and skips lists shorter than two items', () => {
    expect(ild([[0, 2], [0, 3], [2]], 2)).toBeCloseTo(0.75, 12);
    expect(ild([[2]], 2)).toBeNaN();
  });
});
