import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../../../lib/training/random.ts';
import { erfc, normalSf, normalTwoSided } from '../../../lib/eval/normal.ts';
import { wilcoxonSignedRank } from '../../../lib/eval/wilcoxon.ts';

// Reference values in this file come from scipy 1.17.1 (scipy.special.erfc and
// scipy.stats.wilcoxon, default zero_method='wilcox', correction=False) unless said otherwise.

describe('erfc', () => {
  const cases: Array<[number, number]> = [
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028516],
    [2, 0.004677734981047266],
    [2.4, 0.0006885138966450789],
    [2.6, 0.000236034416529349],
    [3, 2.2090496998585445e-5],
    [5, 1.5374597944280347e-12],
    [8, 1.1224297172982928e-29],
    [-1.5, 1.9661051464753108],
  ];
  for (const [x, want] of cases) {
    it(`erfc(${x}) to 1e-12 relative`, () => {
      expect(Math.abs(erfc(x) - want) / want).toBeLessThan(1e-12);
    });
  }

  it('normal tails', () => {
    expect(erfc(0)).toBe(1);
    expect(normalSf(0)).toBe(0.5);
    // P(|Z| > 1.959964) = 0.05
    expect(normalTwoSided(1.959963984540054)).toBeCloseTo(0.05, 12);
  });
});

// Darwin's Zea mays height differences (Fisher 1935), the scipy.stats.wilcoxon example.
const darwin = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];

describe('wilcoxonSignedRank', () => {
  it('textbook example: W- = 24 (ranks 10 + 14), exact p = 0.041259765625', () => {
    const r = wilcoxonSignedRank(darwin);
    expect(r.method).toBe('exact');
    expect(r.rMinus).toBe(24);
    // n = 15: W+ + W- = 15 * 16 / 2 = 120
    expect(r.rPlus).toBe(96);
    expect(r.p).toBeCloseTo(0.041259765625, 14);
  });

  it('textbook example, normal approximation with and without continuity correction', () => {
    const r = wilcoxonSignedRank(darwin, { method: 'normal' });
    expect(r.z).toBeCloseTo(2.0446626032894333, 12); // scipy reports -|z|
    expect(r.p).toBeCloseTo(0.04088813291185591, 12);
    const c = wilcoxonSignedRank(darwin, { method: 'normal', correction: true });
    expect(c.p).toBeCloseTo(0.043772323763041174, 12);
  });

  it('small samples with ties and zeros: exact permutation distribution', () => {
    // scipy with ties and n <= 13 runs an exhaustive permutation test (2^n sign flips)
    const a = wilcoxonSignedRank([1, -2, 2, 3, 0, -1, 4, 2, 5, -3]);
    expect(a.method).toBe('exact');
    expect(a.zeros).toBe(1);
    expect(Math.min(a.rPlus, a.rMinus)).toBe(12);
    expect(a.p).toBeCloseTo(0.2578125, 14);
    const b = wilcoxonSignedRank([1.5, -2, 2, 3, -1, 4, 2, 5, -3, 2.5, 1.5]);
    expect(Math.min(b.rPlus, b.rMinus)).toBe(14.5);
    expect(b.p).toBeCloseTo(0.107421875, 14);
  });

  it('exact p equals brute-force enumeration of all sign flips', () => {
    const rng = new SplitMix32(4);
    for (let trial = 0; trial < 20; trial++) {
      const n = 4 + rng.int(9);
      const d = Array.from({ length: n }, () => rng.int(7) - 3 || 1);
      const r = wilcoxonSignedRank(d, { method: 'exact' });
      // brute force: ranks of |d| with averages, then every sign pattern
      const abs = d.map(Math.abs);
      const rank = abs.map((v) => {
        const below = abs.filter((w) => w < v).length;
        const equal = abs.filter((w) => w === v).length;
        return below + (equal + 1) / 2;
      });
      const observed = d.reduce((s, v, k) => s + (v > 0 ? rank[k]! : 0), 0);
      let low = 0;
      let high = 0;
      for (let mask = 0; mask < 1 << n; mask++) {
        let w = 0;
        for (let k = 0; k < n; k++) if (mask & (1 << k)) w += rank[k]!;
        if (w <= observed + 1e-9) low++;
        if (w >= observed - 1e-9) high++;
      }
      expect(r.rPlus).toBeCloseTo(observed, 12);
      expect(r.p).toBeCloseTo(Math.min(1, (2 * Math.min(low, high)) / 2 ** n), 12);
    }
  });

  it('larger samples: exact and normal p-values of scipy', () => {
    const sin60 = Array.from({ length: 60 }, (_, k) => Math.sin(k + 1) + 0.3);
    const exact = wilcoxonSignedRank(sin60, { method: 'exact' });
    expect(Math.min(exact.rPlus, exact.rMinus)).toBe(476);
    expect(exact.p).toBeCloseTo(0.000987310789771989, 14);
    expect(wilcoxonSignedRank(sin60).method).toBe('normal'); // n > 25
    expect(wilcoxonSignedRank(sin60).p).toBeCloseTo(0.0012303735131097557, 12);

    const sin20 = Array.from({ length: 20 }, (_, k) => Math.sin(k + 1) + 0.5);
    expect(wilcoxonSignedRank(sin20).p).toBeCloseTo(0.01068878173828125, 14);
    expect(wilcoxonSignedRank(sin20, { method: 'normal' }).p).toBeCloseTo(0.01237422010582018, 12);
  });

  it('normal approximation with ties and zeros (wilcox and pratt)', () => {
    // 100 values in steps of 1/4, many ties, 4 zeros
    const d = Array.from({ length: 100 }, (_, k) => (((k * 37) % 23) - 9) / 4);
    const cases: Array<['wilcox' | 'pratt', boolean, number, number]> = [
      ['wilcox', false, 0.010681044582501166, 2.5529642922760023],
      ['wilcox', true, 0.010737256538724281, 2.5511355212929967],
      ['pratt', false, 0.012003101964444292, 2.5120531195346487],
      ['pratt', true, 0.012061751744894383, 2.5103325352062003],
    ];
    for (const [zeroMethod, correction, p, z] of cases) {
      const r = wilcoxonSignedRank(d, { zeroMethod, correction });
      expect(r.method).toBe('normal');
      expect(r.zeros).toBe(4);
      expect(Math.abs(r.z)).toBeCloseTo(z, 10);
      expect(r.p).toBeCloseTo(p, 12);
    }
  });

  it('very small p-values keep their digits', () => {
    const d = Array.from({ length: 200 }, (_, k) => Math.sin(k + 1) + 0.6);
    const r = wilcoxonSignedRank(d);
    expect(Math.abs(r.p - 3.2187640329940577e-18) / 3.2187640329940577e-18).toBeLessThan(1e-8);
  });

  it('is symmetric in the sign of the differences', () => {
    const a = wilcoxonSignedRank(darwin);
    const b = wilcoxonSignedRank(darwin.map((v) => -v));
    expect(b.p).toBe(a.p);
    expect(b.rPlus).toBe(a.rMinus);
  });

  it('all-zero differences give no evidence (p is NaN) and float noise is a tie', () => {
    expect(wilcoxonSignedRank([0, 0, 0]).p).toBeNaN();
    // 0.1 + 0.2 - 0.3 is 5.6e-17, not a real difference next to values near 1
    const r = wilcoxonSignedRank([0.1 + 0.2 - 0.3, 1, 2, -3]);
    expect(r.zeros).toBe(1);
    const t = wilcoxonSignedRank([0.3, 0.1 + 0.2, -1]);
    // |0.3| and |0.30000000000000004| tie: ranks 1.5 and 1.5
    expect(t.rPlus).toBe(3);
  });
});
