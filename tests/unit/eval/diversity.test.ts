import { describe, expect, it } from 'vitest';
import { csrFromCoo, transposeCsr } from '../../../lib/eval/csr.ts';
import { intraListDiversity, intraListDiversitySteps } from '../../../lib/eval/diversity.ts';
import type { Csr } from '../../../lib/eval/types.ts';
import { SplitMix32 } from '../../../lib/training/random.ts';

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

describe('intraListDiversitySteps', () => {
  // 40 users over 12 items, lists of 8 drawn from the first 9 items: pairs repeat across
  // lists in both orders, some lists are short, one item has no users.
  const rng = new SplitMix32(5);
  const users: number[] = [];
  const items: number[] = [];
  for (let u = 0; u < 40; u++)
    for (let i = 0; i < 11; i++)
      if (rng.next() < 0.15 + i / 30) {
        users.push(u);
        items.push(i);
      }
  const big = transposeCsr(
    csrFromCoo(Int32Array.from(users), Int32Array.from(items), users.length, 40),
    12,
  );
  const width = 8;
  const count = 30;
  const lists = new Int32Array(count * width).fill(-1);
  for (let l = 0; l < count; l++) {
    const len = l % 7 === 0 ? 1 + (l % 5) : width;
    const order = [0, 1, 2, 3, 4, 5, 6, 7, 11].sort(() => rng.next() - 0.5);
    lists.set(order.slice(0, len), l * width);
  }

  it('gives every cutoff exactly what it gives alone, yielding once per list', () => {
    const ks = [2, 5, 8, 10];
    const steps = intraListDiversitySteps(lists, width, count, ks, big, 40);
    let yields = 0;
    let r = steps.next();
    while (!r.done) {
      yields++;
      r = steps.next();
    }
    expect(yields).toBe(count);
    const alone = ks.map((k) => intraListDiversity(lists, width, count, k, big, 40));
    expect(r.value).toEqual(alone);
    expect(alone).toEqual(ks.map((k) => pairByPair(lists, width, count, k, big)));
    expect(alone.every((v) => v > 0 && v < 1)).toBe(true);
  });
});

/** The definition, summed pair by pair in list order with nothing shared between lists. */
function pairByPair(lists: Int32Array, width: number, count: number, k: number, byItem: Csr) {
  const usersOf = (i: number) =>
    Array.from(byItem.indices.subarray(byItem.indptr[i], byItem.indptr[i + 1]));
  let total = 0;
  let measured = 0;
  for (let l = 0; l < count; l++) {
    const list = Array.from(lists.subarray(l * width, l * width + Math.min(k, width)));
    const len = list.includes(-1) ? list.indexOf(-1) : list.length;
    if (len < 2) continue;
    let similarity = 0;
    for (let a = 0; a < len - 1; a++)
      for (let b = a + 1; b < len; b++) {
        const ui = new Set(usersOf(list[a]!));
        const uj = usersOf(list[b]!);
        if (ui.size === 0 || uj.length === 0) continue;
        const common = uj.filter((u) => ui.has(u)).length;
        similarity += common / Math.sqrt(ui.size * uj.length);
      }
    total += 1 - similarity / ((len * (len - 1)) / 2);
    measured++;
  }
  return measured > 0 ? total / measured : NaN;
}
