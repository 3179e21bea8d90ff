import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../../../lib/training/random.ts';
import { TopKSelector, fullRank } from '../../../lib/eval/topk.ts';

/** Reference: sort every non-excluded item by (score desc, id asc). */
function sortedOrder(scores: Float32Array): number[] {
  return [...scores.keys()]
    .filter((i) => scores[i]! > -Infinity)
    .sort((a, b) => scores[b]! - scores[a]! || a - b);
}

describe('TopKSelector', () => {
  it('matches a full sort on random rows with many ties and exclusions', () => {
    const rng = new SplitMix32(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(300);
      const k = 1 + rng.int(30);
      const scores = new Float32Array(n);
      // Integer scores in a small range force ties; ~10% excluded.
      for (let i = 0; i < n; i++) scores[i] = rng.next() < 0.1 ? -Infinity : rng.int(12);
      const sel = new TopKSelector(k);
      const m = sel.select(scores, 0, n);
      const expected = sortedOrder(scores).slice(0, k);
      expect(m).toBe(expected.length);
      expect(Array.from(sel.ids.subarray(0, m))).toEqual(expected);
      expect(Array.from(sel.scores.subarray(0, m))).toEqual(expected.map((i) => scores[i]));
    }
  });

  it('reads a row at an offset of a larger buffer', () => {
    const buf = Float32Array.of(100, 100, 3, 1, 2, 100);
    const sel = new TopKSelector(2);
    expect(sel.select(buf, 2, 3)).toBe(2);
    expect(Array.from(sel.ids.subarray(0, 2))).toEqual([0, 2]); // scores 3 and 2
  });

  it('breaks ties by the lower item id', () => {
    const sel = new TopKSelector(3);
    sel.select(Float32Array.of(1, 5, 5, 5, 5), 0, 5);
    expect(Array.from(sel.ids)).toEqual([1, 2, 3]);
  });

  it('returns fewer than k when few items are rankable', () => {
    const sel = new TopKSelector(5);
    const m = sel.select(Float32Array.of(-Infinity, 2, -Infinity, 1), 0, 4);
    expect(m).toBe(2);
    expect(Array.from(sel.ids.subarray(0, m))).toEqual([1, 3]);
  });

  it('throws on NaN scores, in the fill phase and after', () => {
    const sel = new TopKSelector(2);
    expect(() => sel.select(Float32Array.of(NaN, 1, 2), 0, 3)).toThrow(/NaN/);
    expect(() => sel.select(Float32Array.of(1, 2, 3, NaN), 0, 4)).toThrow(/NaN/);
  });

  it('selectSparse matches the dense selection', () => {
    const rng = new SplitMix32(3);
    for (let trial = 0; trial < 100; trial++) {
      const n = 50 + rng.int(100);
      const dense = new Float64Array(n).fill(-Infinity);
      const cand: number[] = [];
      for (let i = 0; i < n; i++) {
        if (rng.next() < 0.5) {
          dense[i] = rng.int(8);
          cand.push(i);
        }
      }
      // candidates in a shuffled order: the result must not depend on it
      for (let a = cand.length - 1; a > 0; a--) {
        const b = rng.int(a + 1);
        [cand[a], cand[b]] = [cand[b]!, cand[a]!];
      }
      const k = 1 + rng.int(10);
      const sel = new TopKSelector(k);
      const m = sel.selectSparse(Int32Array.from(cand), cand.length, dense);
      const expected = sortedOrder(Float32Array.from(dense)).slice(0, k);
      expect(Array.from(sel.ids.subarray(0, m))).toEqual(expected);
    }
  });
});

describe('fullRank', () => {
  it('agrees with the position in a full sort', () => {
    const rng = new SplitMix32(11);
    for (let trial = 0; trial < 100; trial++) {
      const n = 2 + rng.int(100);
      const scores = new Float32Array(n);
      for (let i = 0; i < n; i++) scores[i] = rng.next() < 0.1 ? -Infinity : rng.int(10);
      const order = sortedOrder(scores);
      for (const item of order) expect(fullRank(scores, 0, n, item)).toBe(order.indexOf(item) + 1);
    }
  });

  it('selectRanked = select + fullRank in one pass', () => {
    const rng = new SplitMix32(12);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(200);
      const k = 1 + rng.int(25);
      const scores = new Float32Array(n);
      for (let i = 0; i < n; i++) scores[i] = rng.next() < 0.1 ? -Infinity : rng.int(15);
      const target = rng.int(n);
      const fused = new TopKSelector(k);
      const m = fused.selectRanked(scores, 0, n, target);
      const plain = new TopKSelector(k);
      expect(m).toBe(plain.select(scores, 0, n));
      expect(Array.from(fused.ids.subarray(0, m))).toEqual(Array.from(plain.ids.subarray(0, m)));
      expect(fused.rank).toBe(fullRank(scores, 0, n, target));
    }
  });

  it('puts an item scored -Infinity after every candidate', () => {
    // candidates: items 1 and 3; item 0 (-Infinity) ranks 3rd
    expect(fullRank(Float32Array.of(-Infinity, 2, -Infinity, 1), 0, 4, 0)).toBe(3);
  });
});
