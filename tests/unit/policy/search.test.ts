import { describe, expect, it } from 'vitest';
import { policyCandidates, searchPolicy } from '../../../lib/policy/index.ts';
import type { PolicySearchDeps } from '../../../lib/policy/index.ts';

/** A fake training set whose `n` encodes which sources and weight built it. */
function deps(scoreOf: (n: number) => number, rowsOf: (sources: string[]) => number) {
  const steps: string[] = [];
  const d: PolicySearchDeps = {
    build: (sources, o) => {
      const n =
        sources.length * 100 + (o?.syntheticWeight ?? 0) * 10 + (o?.maxSyntheticPerUser ?? 0);
      const set = {
        nUsers: 1,
        nItems: 1,
        n,
        user: Int32Array.of(n),
        item: Int32Array.from(sources, (s) => s.charCodeAt(0)),
        label: new Uint8Array(0),
        weight: new Float32Array(0),
      };
      return { set, syntheticRows: rowsOf(sources) };
    },
    score: async (set, of) => {
      steps.push(`score ${of}`);
      const f = { ndcg10: 0.1, sparseNdcg10: scoreOf(set.n), tailRecall10: 0.1 };
      return { ...f, selection: f, confirmation: f };
    },
    onStep: (label) => steps.push(label),
  };
  return { d, steps };
}
const grid = { perUser: [2], weights: [0.5, 1], combined: true, maxCandidates: 16 };

describe('searchPolicy', () => {
  it('scores A and every candidate and keeps the best on sparse users', async () => {
    const { d, steps } = deps(
      (n) => (n === 112 ? 0.2 : 0.05),
      () => 10,
    );
    const r = await searchPolicy(policyCandidates(['gan', 'teacher'], grid), d, 1000);
    expect(steps[0]).toMatch(/^A/);
    // A is scored first, as A; every other model as a candidate.
    const scored = steps.filter((s) => s.startsWith('score '));
    expect(scored).toEqual(['score A', ...r.candidates.map(() => 'score candidate')]);
    expect(r.candidates.every((c) => c.valid)).toBe(true);
    expect(r.choice.chosen).toBe('gan k2 w1');
    expect(r.choice.beatsA).toBe(true);
  });

  it('trains a training set once: a candidate that builds an earlier one takes its figures', async () => {
    const built: string[] = [];
    let trainings = 0;
    const d: PolicySearchDeps = {
      // The per-user cap changes nothing here (no user has more than 2 rows).
      build: (sources, o) => {
        built.push(`${sources.join('+')} ${o?.maxSyntheticPerUser}`);
        const set = {
          nUsers: 1,
          nItems: 1,
          n: 1,
          user: Int32Array.of(0),
          item: Int32Array.of(0),
          label: Uint8Array.of(1),
          weight: Float32Array.of(o?.syntheticWeight ?? 1),
        };
        return { set, syntheticRows: sources.length };
      },
      score: async (set) => {
        trainings++;
        const f = {
          ndcg10: 0.1,
          sparseNdcg10: set.weight[0]! === 1 ? 0.2 : 0.1,
          tailRecall10: 0.1,
        };
        return { ...f, selection: f, confirmation: f };
      },
    };
    const g = { perUser: [2, 5], weights: [0.5, 1], combined: false, maxCandidates: 16 };
    const r = await searchPolicy(policyCandidates(['llm'], g), d, 1000);
    // A, then k2 w0.5 and k2 w1 are trained; k5 w0.5 and k5 w1 repeat them.
    expect(trainings).toBe(3);
    expect(r.candidates.map((c) => c.sameAs)).toEqual([
      undefined,
      undefined,
      'llm k2 w0.5',
      'llm k2 w1',
    ]);
    expect(r.candidates.every((c) => c.valid)).toBe(true);
    expect(r.choice.chosen).toBe('llm k2 w1');
  });

  it('skips a candidate left without synthetic rows, and the rest once the budget is spent', async () => {
    const { d } = deps(
      () => 0.06,
      (s) => (s.includes('llm') && s.length === 1 ? 0 : 5),
    );
    const cands = policyCandidates(['llm', 'teacher'], grid);
    const r = await searchPolicy(cands, d, 1000);
    expect(r.candidates.filter((c) => c.skipped).map((c) => c.label)).toEqual([
      'llm k2 w0.5',
      'llm k2 w1',
    ]);
    const cut = await searchPolicy(cands, d, 0);
    // The first trainable candidate always runs; after it the budget (0 s) is spent.
    expect(cut.candidates.filter((c) => c.valid).map((c) => c.label)).toEqual(['teacher k2 w0.5']);
    expect(cut.candidates.at(-1)!.skipped).toMatch(/time budget/);
    // The reason says how little was searched, and what to raise; a full search says nothing.
    expect(cut.choice.reason).toMatch(
      /4 of 6 candidates were not tried: the time budget \(augmentation.budgetSeconds, 0 s\) was spent; raise it/,
    );
    expect(r.choice.reason).not.toMatch(/not tried/);
  });
});
