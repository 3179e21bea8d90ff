import { describe, expect, it } from 'vitest';
import { resample, SOURCE } from '../../../lib/sampling/index.ts';
import { checkSet, config, rows, source } from './fixtures.ts';

describe('resample: denoise on a constructed case', () => {
  const input = {
    nUsers: 4,
    nItems: 10,
    // (3, 9) twice: the real split is deduped, and the repeat counted.
    train: rows([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 3],
      [3, 9],
      [3, 9],
    ]),
    synthetic: [
      source('gan', [
        { u: 0, i: 1, score: 0.9 }, // duplicate of a real row
        { u: 0, i: 5, score: 0.05 }, // below minScore
        { u: 0, i: 6, score: 0.9 }, // kept
        { u: 0, i: 6, score: 0.8 }, // repeats the kept row above
        { u: 1, i: 8, score: 0.5 }, // kept
        { u: 2, i: 4, score: 0.5 }, // kept
      ]),
      source('llm', [
        { u: 0, i: 6, score: 0.7 }, // liked, but the GAN row came first
        { u: 0, i: 7, score: 0.3, label: 0 }, // dislike: explicit negative in B
        { u: 0, i: 2, score: 0.3, label: 0 }, // dislike of a real positive
        { u: 0, i: 7, score: 0.3, label: 0 }, // repeated dislike
        { u: 1, i: 8, score: 0.3, label: 0 }, // dislike of a kept synthetic positive
        { u: 2, i: 5, score: 0.05 }, // liked, below minScore
        { u: 2, i: 5, score: 0.05, label: 0 }, // dislike: minScore applies to positives only
      ]),
    ],
  };
  const cfg = config({ minScore: 0.1, syntheticShare: 0.9, syntheticWeight: 0.25 });
  const { a, b, report } = resample(input, cfg, 1);

  it('writes exactly the expected B rows, sorted by (user, item)', () => {
    checkSet(b);
    const got = Array.from({ length: b.n }, (_, k) => [
      b.user[k],
      b.item[k],
      b.label[k],
      b.source[k],
      b.weight[k],
    ]);
    const { real, gan, llm } = SOURCE;
    expect(got).toEqual([
      [0, 0, 1, real, 1],
      [0, 1, 1, real, 1],
      [0, 2, 1, real, 1],
      [0, 6, 1, gan, 0.25],
      [0, 7, 0, llm, 0.25],
      [1, 3, 1, real, 1],
      [1, 8, 1, gan, 0.25],
      [2, 4, 1, gan, 0.25],
      [2, 5, 0, llm, 0.25],
      [3, 9, 1, real, 1],
    ]);
    expect(b.score[3]).toBe(Math.fround(0.9));
    expect(b.score[4]).toBe(Math.fround(0.3));
    expect(Number.isNaN(b.score[0]!)).toBe(true);
  });

  it('A is the deduped real split only', () => {
    checkSet(a);
    expect(Array.from(a.item)).toEqual([0, 1, 2, 3, 9]);
    expect(Array.from(a.user)).toEqual([0, 0, 0, 1, 3]);
    expect(a.source.every((s) => s === SOURCE.real)).toBe(true);
    expect(a.label.every((l) => l === 1)).toBe(true);
  });

  it('counts every drop by reason and source', () => {
    expect(report.input.realDuplicates).toBe(1);
    expect(report.input.realPositives).toBe(5);
    const nonzero = (r: Record<string, number>) =>
      Object.fromEntries(Object.entries(r).filter(([, v]) => v > 0));
    expect(nonzero(report.drops.gan)).toEqual({
      duplicateOfReal: 1,
      belowMinScore: 1,
      duplicateOfSynthetic: 1,
    });
    expect(nonzero(report.drops.llm)).toEqual({
      duplicateOfSynthetic: 1,
      belowMinScore: 1,
      dislikeOfReal: 1,
      duplicateDislike: 1,
      dislikeOfSynthetic: 1,
    });
    expect(report.rows.b.gan).toEqual({ positive: 3, negative: 0 });
    expect(report.rows.b.llm).toEqual({ positive: 0, negative: 2 });
    expect(report.users).toEqual({
      withSynthetic: 3,
      withDislikes: 2,
      cold: 4,
      coldWithSynthetic: 3,
    });
    expect(report.share.achieved).toBeCloseTo(3 / 8, 12);
  });

  it('applies minScore and per-source dropRate by plausibility', () => {
    // 100 GAN rows over 10 users, score k/100, plausibility a permutation of 0..99.
    const list = Array.from({ length: 100 }, (_, k) => ({
      u: k % 10,
      i: k,
      score: k / 100,
      pl: (k * 37) % 100,
    }));
    const llm = Array.from({ length: 10 }, (_, k) => ({ u: k, i: 100 + k, pl: k }));
    const inp = {
      nUsers: 10,
      nItems: 200,
      train: rows(Array.from({ length: 10 }, (_, u): [number, number] => [u, 150])),
      synthetic: [source('gan', list), source('llm', llm)],
    };
    const res = resample(inp, config({ minScore: 0.5, dropRate: 0.2, syntheticShare: 0.9 }), 3);
    // Survivors of minScore: k >= 50 (score k/100 in float32 is >= 0.5 exactly from k = 50).
    const survivors = list.filter((r) => Math.fround(r.score) >= 0.5);
    expect(survivors.length).toBe(50);
    const expected = survivors
      .sort((x, y) => x.pl - y.pl)
      .slice(10) // floor(0.2 * 50) least plausible go
      .map((r) => r.u * 200 + r.i)
      .sort((x, y) => x - y);
    const kept: number[] = [];
    for (let k = 0; k < res.b.n; k++)
      if (res.b.source[k] === SOURCE.gan) kept.push(res.b.user[k]! * 200 + res.b.item[k]!);
    expect(kept).toEqual(expected);
    expect(res.report.drops.gan.belowMinScore).toBe(50);
    expect(res.report.drops.gan.pruned).toBe(10);
    // LLM rows (plausibility 0..9) are pruned separately: its 2 least plausible go.
    expect(res.report.drops.llm.pruned).toBe(2);
    expect(res.report.rows.b.llm.positive).toBe(8);
    for (let k = 0; k < res.b.n; k++)
      if (res.b.source[k] === SOURCE.llm) expect(res.b.item[k]).toBeGreaterThanOrEqual(102);
  });
});
