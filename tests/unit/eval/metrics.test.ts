import { describe, expect, it } from 'vitest';
import {
  averagePrecisionAt,
  discounts,
  hitRateAt,
  hitsAt,
  meanAt,
  ndcgAt,
  recallAt,
  selfInformation,
  tailItemMask,
} from '../../../lib/eval/metrics.ts';

const disc = discounts(20);
const LOG2_3 = Math.log2(3); // 1.5849625

describe('ranking metrics, hand-computed', () => {
  // Top 5 = [hit, miss, hit, miss, miss], 3 test items in total.
  const rel = Uint8Array.of(1, 0, 1, 0, 0);

  it('recall and hits', () => {
    expect(hitsAt(rel, 5, 5)).toBe(2);
    // 2 hits / 3 test items
    expect(recallAt(rel, 5, 3, 5)).toBeCloseTo(2 / 3, 12);
    // top 2 holds 1 hit -> 1/3
    expect(recallAt(rel, 5, 3, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAt(rel, 5, 0, 5)).toBeNaN();
  });

  it('hit rate', () => {
    expect(hitRateAt(rel, 5, 1)).toBe(1);
    expect(hitRateAt(Uint8Array.of(0, 1), 2, 1)).toBe(0);
    expect(hitRateAt(Uint8Array.of(0, 1), 2, 2)).toBe(1);
  });

  it('NDCG', () => {
    // DCG@5 = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
    // IDCG@5 (3 relevant) = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.6309298 + 0.5 = 2.1309298
    // NDCG@5 = 1.5 / 2.1309298 = 0.7039180
    expect(ndcgAt(rel, 5, 3, 5, disc)).toBeCloseTo(1.5 / (1.5 + 1 / LOG2_3), 12);
    expect(ndcgAt(rel, 5, 3, 5, disc)).toBeCloseTo(0.703918, 6);
    // DCG@2 = 1; IDCG@2 = 1 + 1/log2(3) = 1.6309298; NDCG@2 = 0.6131472
    expect(ndcgAt(rel, 5, 3, 2, disc)).toBeCloseTo(0.6131472, 6);
    // A single hit at rank 2 with one test item: (1/log2(3)) / 1 = 0.6309298
    expect(ndcgAt(Uint8Array.of(0, 1), 2, 1, 10, disc)).toBeCloseTo(0.6309298, 6);
    // Perfect list
    expect(ndcgAt(Uint8Array.of(1, 1), 2, 2, 10, disc)).toBeCloseTo(1, 12);
  });

  it('average precision', () => {
    // hits at ranks 1 and 3: P@1 = 1, P@3 = 2/3; sum = 5/3; / min(5, 3) = 3 -> 5/9 = 0.5556
    expect(averagePrecisionAt(rel, 5, 3, 5)).toBeCloseTo(5 / 9, 12);
    // K = 2: P@1 = 1; / min(2, 3) = 2 -> 0.5
    expect(averagePrecisionAt(rel, 5, 3, 2)).toBeCloseTo(0.5, 12);
    // a list shorter than K: hit at rank 2 of 2, one test item: (1/2) / 1 = 0.5
    expect(averagePrecisionAt(Uint8Array.of(0, 1), 2, 1, 10)).toBeCloseTo(0.5, 12);
  });

  it('means over a top list', () => {
    const v = Float64Array.of(1, 2, 3, 4);
    expect(meanAt(v, 4, 2)).toBe(1.5);
    expect(meanAt(v, 3, 10)).toBe(2); // (1 + 2 + 3) / 3
    expect(meanAt(v, 0, 10)).toBeNaN();
  });
});

describe('popularity-derived quantities', () => {
  it('self-information uses add-one smoothing', () => {
    // 3 users; counts 3, 0, 1 -> -log2(4/4) = 0, -log2(1/4) = 2, -log2(2/4) = 1
    const si = selfInformation(Int32Array.of(3, 0, 1), 3);
    expect(Array.from(si)).toEqual([0, 2, 1]);
  });

  it('tail mask: the least popular 80%, ties broken by id', () => {
    // 10 items; head = ceil(0.2 * 10) = 2 most popular: item 4 (9) and item 1 (5, before item 7 by id)
    const counts = Int32Array.of(0, 5, 1, 2, 9, 0, 3, 5, 1, 1);
    const mask = tailItemMask(counts, 0.8);
    expect(Array.from(mask)).toEqual([1, 0, 1, 1, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(tailItemMask(counts, 0))).toEqual(new Array(10).fill(0));
    expect(Array.from(tailItemMask(counts, 1))).toEqual(new Array(10).fill(1));
    expect(() => tailItemMask(counts, 1.5)).toThrow(RangeError);
  });
});
