import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../../../lib/training/random.ts';
import { bootstrapMeanCi, quantileSorted } from '../../../lib/eval/bootstrap.ts';

function normalSample(seed: number, n: number, mean: number, sd: number): Float64Array {
  const rng = new SplitMix32(seed);
  return Float64Array.from({ length: n }, () => mean + sd * rng.normal());
}

describe('bootstrapMeanCi', () => {
  const x = normalSample(1, 500, 0.3, 1);

  it('is deterministic for a seed and changes with the seed', () => {
    const a = bootstrapMeanCi(x, { seed: 42, resamples: 1000 });
    const b = bootstrapMeanCi(x, { seed: 42, resamples: 1000 });
    const c = bootstrapMeanCi(x, { seed: 43, resamples: 1000 });
    expect(b).toEqual(a);
    expect(c.low).not.toBe(a.low);
    expect(a.low).toBeLessThan(a.mean);
    expect(a.high).toBeGreaterThan(a.mean);
  });

  it('has about the normal-theory width: 2 * 1.96 * sd / sqrt(n)', () => {
    let sd = 0;
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    for (const v of x) sd += (v - mean) ** 2;
    sd = Math.sqrt(sd / (x.length - 1));
    const ci = bootstrapMeanCi(x, { resamples: 4000 });
    const expected = (2 * 1.959964 * sd) / Math.sqrt(x.length);
    expect(Math.abs(ci.high - ci.low - expected) / expected).toBeLessThan(0.08);
  });

  it('covers the true mean about 95% of the time', () => {
    // 300 independent samples of n = 80 from N(0.3, 1); the interval should contain 0.3 in
    // ~95% of them. With 300 trials the binomial sd is 1.3%, so [0.90, 0.985] is a loose
    // but still failing-capable band (a 90% or 99% interval falls outside it).
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const s = normalSample(1000 + t, 80, 0.3, 1);
      const ci = bootstrapMeanCi(s, { seed: t, resamples: 1000 });
      if (ci.low <= 0.3 && 0.3 <= ci.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.985);
  });

  it('collapses on constant data and is NaN on empty data', () => {
    const zero = bootstrapMeanCi(new Float64Array(100));
    expect([zero.mean, zero.low, zero.high]).toEqual([0, 0, 0]);
    const c = bootstrapMeanCi(new Float64Array(50).fill(0.25));
    expect([c.low, c.high]).toEqual([0.25, 0.25]);
    expect(bootstrapMeanCi(new Float64Array(0)).low).toBeNaN();
  });

  it('validates its options', () => {
    expect(() => bootstrapMeanCi(x, { resamples: 0 })).toThrow(RangeError);
    expect(() => bootstrapMeanCi(x, { level: 1 })).toThrow(RangeError);
  });
});

describe('quantileSorted', () => {
  it('interpolates linearly between order statistics', () => {
    const s = Float64Array.of(1, 2, 3, 4, 5);
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(5);
    expect(quantileSorted(s, 0.5)).toBe(3);
    // h = 4 * 0.1 = 0.4 -> 1 + 0.4 * (2 - 1)
    expect(quantileSorted(s, 0.1)).toBeCloseTo(1.4, 12);
  });
});
