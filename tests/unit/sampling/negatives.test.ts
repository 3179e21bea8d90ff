import { describe, expect, it } from 'vitest';
import { resample, SOURCE } from '../../../lib/sampling/index.ts';
import type { NegativeStrategy, ResampledSet } from '../../../lib/sampling/index.ts';
import { checkSet, config, pairs, randomInput, rows } from './fixtures.ts';

const neg = (strategy: NegativeStrategy, perPositive: number) =>
  config({ negatives: { strategy, perPositive } });

/** Sampled negatives and positives per user. */
function perUser(s: ResampledSet): { pos: Int32Array; sampled: Int32Array } {
  const pos = new Int32Array(s.nUsers);
  const sampled = new Int32Array(s.nUsers);
  for (let k = 0; k < s.n; k++) {
    if (s.label[k] === 1) pos[s.user[k]!]!++;
    else if (s.source[k] === SOURCE.sampled) sampled[s.user[k]!]!++;
  }
  return { pos, sampled };
}

describe('resample: sampled negatives', () => {
  const input = randomInput(21, 300, 200, 6);
  // A hard-candidate row per user: 10 items, some of them the user's positives.
  const indptr = Int32Array.from({ length: input.nUsers + 1 }, (_, u) => u * 10);
  const indices = Int32Array.from({ length: input.nUsers * 10 }, (_, k) => (k * 7) % 200);
  const withHard = { ...input, hardCandidates: { indptr, indices } };

  it.each(['uniform', 'popularity', 'hard'] as const)(
    '%s: perPositive per positive, never a positive of the set',
    (strategy) => {
      const { a, b, report } = resample(withHard, neg(strategy, 2), 3);
      for (const s of [a, b]) {
        checkSet(s);
        const { pos, sampled } = perUser(s);
        for (let u = 0; u < s.nUsers; u++) expect(sampled[u]).toBe(2 * pos[u]!);
      }
      expect(report.rows.a.sampled.negative).toBe(2 * report.rows.a.real.positive);
      expect(report.negatives.a.sampled).toBe(report.rows.a.sampled.negative);
      expect(report.negatives.b.sampled).toBe(report.rows.b.sampled.negative);
    },
  );

  it('hard negatives come from the candidates unless a user has none left', () => {
    const { b, report } = resample(withHard, neg('hard', 1), 3);
    const pos = pairs(b, 1);
    let fallbacks = 0;
    for (let u = 0; u < b.nUsers; u++) {
      const allowed = new Set<number>();
      for (let k = indptr[u]!; k < indptr[u + 1]!; k++)
        if (!pos.has(u * b.nItems + indices[k]!)) allowed.add(indices[k]!);
      if (allowed.size === 0) fallbacks++;
      for (let k = 0; k < b.n; k++) {
        if (b.user[k] !== u || b.source[k] !== SOURCE.sampled || allowed.size === 0) continue;
        expect(allowed.has(b.item[k]!)).toBe(true);
      }
    }
    expect(report.negatives.b.usersHardFallback).toBe(fallbacks);
  });

  it('popularity follows real train counts and never picks an item nobody has', () => {
    // Real items only among 0..49 of 100, item 0 the most popular.
    const pairsList: [number, number][] = [];
    for (let u = 0; u < 200; u++) {
      pairsList.push([u, u % 50]);
      pairsList.push([u, 0 + ((u * 3) % 2)]); // items 0 and 1 are popular
    }
    const inp = { nUsers: 200, nItems: 100, train: rows(pairsList), synthetic: [] };
    const { a } = resample(inp, neg('popularity', 5), 9);
    checkSet(a);
    const hits = new Int32Array(100);
    for (let k = 0; k < a.n; k++) if (a.label[k] === 0) hits[a.item[k]!]!++;
    for (let i = 50; i < 100; i++) expect(hits[i]).toBe(0);
    expect(hits[0]! + hits[1]!).toBeGreaterThan(10 * hits[25]!);
    const uni = resample(inp, neg('uniform', 5), 9).a;
    let high = 0;
    for (let k = 0; k < uni.n; k++) if (uni.label[k] === 0 && uni.item[k]! >= 50) high++;
    expect(high).toBeGreaterThan(0.4 * uni.n * (5 / 6));
  });

  it('handles users with almost or exactly every item positive', () => {
    // User 0 has 4 of 5 items: every negative is item 4. User 1 has all 5: none.
    const inp = {
      nUsers: 2,
      nItems: 5,
      train: rows([
        [0, 0],
        [0, 1],
        [0, 2],
        [0, 3],
        [1, 0],
        [1, 1],
        [1, 2],
        [1, 3],
        [1, 4],
      ]),
      synthetic: [],
    };
    for (const strategy of ['uniform', 'popularity'] as const) {
      const { a, report } = resample(inp, neg(strategy, 3), 1);
      checkSet(a);
      const negs = Array.from(a.item).filter((_, k) => a.label[k] === 0);
      expect(negs).toEqual(new Array(12).fill(4));
      expect(report.negatives.a.usersWithoutCandidates).toBe(1);
      if (strategy === 'popularity') {
        // Item 4's only count is user 1's: the alias table draws it rarely, so the
        // complement is listed and drawn from exactly.
        expect(report.negatives.a.usersExhaustive).toBeLessThanOrEqual(1);
      }
    }
  });

  it('lists the complement when rejection keeps failing (popularity mass all positive)', () => {
    // Item 5 has no real count; user 0 has items 0..4, so its only negative is item 5,
    // which the alias table never draws: the exhaustive path must supply it.
    const inp = {
      nUsers: 1,
      nItems: 6,
      train: rows([
        [0, 0],
        [0, 1],
        [0, 2],
        [0, 3],
        [0, 4],
      ]),
      synthetic: [],
    };
    const { a, report } = resample(inp, neg('popularity', 2), 1);
    expect(Array.from(a.item)).toEqual([0, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
    expect(report.negatives.a.usersExhaustive).toBe(1);
  });

  it('is deterministic per seed and changes with the seed', () => {
    const cfg = config({
      syntheticShare: 0.05,
      negatives: { strategy: 'uniform', perPositive: 1 },
    });
    const r1 = resample(input, cfg, 42);
    const r2 = resample(input, cfg, 42);
    expect(r2).toEqual(r1);
    const r3 = resample(input, cfg, 43);
    expect(r3.a.n).toBe(r1.a.n);
    expect(r3.a.item).not.toEqual(r1.a.item); // other negatives
    expect(pairs(r3.b, 1)).not.toEqual(pairs(r1.b, 1)); // other synthetic subsample
    expect(r3.report.share.achieved).toBe(r1.report.share.achieved);
  });
});
