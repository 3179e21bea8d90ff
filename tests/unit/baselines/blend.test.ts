import { describe, expect, it } from 'vitest';
import {
  BLEND_WEIGHTS,
  blendLabel,
  blendedScorer,
  chooseBlend,
} from '../../../lib/models/baselines/blend.ts';

/** A scorer that gives every user the same row of scores (offset by the user id). */
function fixed(row: number[]) {
  return {
    nItems: row.length,
    scoreUsers(users: Int32Array, out: Float32Array) {
      users.forEach((u, r) => row.forEach((x, i) => (out[r * row.length + i] = x + u)));
    },
  };
}

/** (x - mean) / sd of a row, the population standard deviation. */
function standardised(row: number[]): number[] {
  const mean = row.reduce((a, b) => a + b, 0) / row.length;
  const sd = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length);
  return row.map((x) => (x - mean) / sd);
}

describe('blendedScorer', () => {
  it("sums each part's per-user standardised scores with its weight", () => {
    const a = [1, 2, 3, 10];
    const b = [100, 0, 50, 25];
    const s = blendedScorer([
      { scorer: fixed(a), weight: 1 },
      { scorer: fixed(b), weight: 0.5 },
    ]);
    const out = new Float32Array(8);
    s.scoreUsers(Int32Array.of(0, 3), out);
    const want = standardised(a).map((x, i) => x + 0.5 * standardised(b)[i]!);
    // A user's offset shifts the mean only, so both users get the same blend.
    for (const r of [0, 1])
      for (let i = 0; i < 4; i++) expect(out[r * 4 + i]).toBeCloseTo(want[i]!, 5);
  });

  it('lets a constant part add nothing and keeps an item a part rules out ruled out', () => {
    const out = new Float32Array(3);
    blendedScorer([
      { scorer: fixed([5, 5, 5]), weight: 1 },
      { scorer: fixed([1, -Infinity, 3]), weight: 1 },
    ]).scoreUsers(Int32Array.of(0), out);
    expect([...out]).toEqual([-1, -Infinity, 1]);
  });

  it('refuses parts over different catalogs', () => {
    expect(() =>
      blendedScorer([
        { scorer: fixed([1, 2]), weight: 1 },
        { scorer: fixed([1, 2, 3]), weight: 1 },
      ]),
    ).toThrow(/score 2 and 3 items; a blend needs one catalog/);
  });
});

describe('chooseBlend', () => {
  const lead = { name: 'ease', scorer: fixed([3, 2, 1]) };
  const second = { name: 'rp3beta', scorer: fixed([1, 3, 2]) };
  const third = { name: 'itemknn', scorer: fixed([2, 1, 3]) };

  it('adds a part at its best weight only when the blend beats what it has', async () => {
    // Scores that depend on which parts are blended at which weight (read off item 1's score).
    const figures = new Map<string, number>();
    const score = (s: ReturnType<typeof blendedScorer>) => {
      const out = new Float32Array(3);
      s.scoreUsers(Int32Array.of(0), out);
      const key = out[1]!.toFixed(3);
      if (!figures.has(key)) figures.set(key, figures.size === 1 ? 0.6 : 0.4);
      return Promise.resolve(figures.get(key)!);
    };
    const choice = await chooseBlend(lead, 0.5, [second, third], score);
    expect(choice).toBeDefined();
    // The second blend tried (rp3beta at the second weight) scored 0.6; nothing else beat it.
    expect(choice!.parts).toEqual([
      { name: 'ease', weight: 1 },
      { name: 'rp3beta', weight: BLEND_WEIGHTS[1] },
    ]);
    expect(choice!.validNdcg10).toBe(0.6);
    expect(choice!.tried.map((t) => `${t.name} ${t.weight}`)).toEqual([
      ...BLEND_WEIGHTS.map((w) => `rp3beta ${w}`),
      ...BLEND_WEIGHTS.map((w) => `itemknn ${w}`),
    ]);
    expect(blendLabel(choice!.parts)).toBe(`ease 1 + rp3beta ${BLEND_WEIGHTS[1]}`);
  });

  it('gives nothing when no blend beats the lead, ties included', async () => {
    const choice = await chooseBlend(lead, 0.5, [second, third], () => Promise.resolve(0.5));
    expect(choice).toBeUndefined();
  });
});
