import { describe, expect, it } from 'vitest';
import { AliasTable, NORMAL_TABLE, Rng, SplitMix32 } from '../../../lib/training/random.ts';

describe('SplitMix32', () => {
  it('produces the documented stream (reference from an independent Python port)', () => {
    // state = fmix32(42); each draw: state += 0x9e3779b9 (mod 2^32), output fmix32(state)
    const r = new SplitMix32(42);
    expect([r.u32(), r.u32(), r.u32()]).toEqual([310834301, 4213354605, 2761216331]);
  });

  it('is reproducible per seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const r = new SplitMix32(seed);
      return Array.from({ length: 5 }, () => r.u32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('int(n) is uniform: chi-square over 10 buckets stays below the 0.999 quantile', () => {
    const r = new SplitMix32(1);
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let k = 0; k < n; k++) counts[r.int(10)]!++;
    const expected = n / 10;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // chi-square with 9 degrees of freedom: P(X > 27.88) = 0.001
    expect(chi2).toBeLessThan(27.88);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it('next() is in [0, 1) with mean 1/2 and normal() has mean 0 and variance 1', () => {
    const r = new SplitMix32(2);
    let s = 0;
    let lo = 1;
    let hi = 0;
    for (let k = 0; k < 50_000; k++) {
      const v = r.next();
      s += v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(s / 50_000).toBeCloseTo(0.5, 2);
    let m = 0;
    let m2 = 0;
    for (let k = 0; k < 50_000; k++) {
      const z = r.normal();
      m += z;
      m2 += z * z;
    }
    expect(Math.abs(m / 50_000)).toBeLessThan(0.02);
    expect(Math.abs(m2 / 50_000 - 1)).toBeLessThan(0.03);
  });
});

// Every stored result (synthetic data, splits, samples, trained models) depends on this
// stream: a change to the generator must fail here, not drift silently.
describe('Rng (xoshiro128**)', () => {
  it('produces its pinned stream for a seed, a fork and an alias table', () => {
    const r = new Rng(42);
    expect([r.u32(), r.u32(), r.u32(), r.int(1000), r.next()]).toEqual([
      2837322924, 544945897, 479756282, 814, 0.07910565007477999,
    ]);
    const f = new Rng(7).fork();
    expect([f.u32(), f.u32()]).toEqual([1714094865, 2147416145]);
    const table = new AliasTable([1, 2, 3, 4]);
    const q = new Rng(3);
    expect(Array.from({ length: 8 }, () => table.sample(q))).toEqual([2, 3, 2, 3, 2, 2, 2, 3]);
    const z = new Rng(0);
    expect([z.u32(), z.normal()]).toEqual([3809008728, 0.7805003350428062]);
    expect([NORMAL_TABLE[0], NORMAL_TABLE[2048]]).toEqual([
      -3.6683292815484316, 0.0003059849019255131,
    ]);
  });

  it('differs from SplitMix32 for the same seed (the two streams are not interchangeable)', () => {
    expect(new Rng(42).u32()).not.toBe(new SplitMix32(42).u32());
  });
});
