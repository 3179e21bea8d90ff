import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../../../lib/training/random.ts';
import { compareResults } from '../../../lib/eval/compare.ts';
import type { Comparison, Effect } from '../../../lib/eval/compare.ts';
import { abTest, abTestAsync, decide, metricLabel } from '../../../lib/eval/decision.ts';
import type { DecisionConfig } from '../../../lib/eval/decision.ts';
import { evaluateFullRanking } from '../../../lib/eval/full-ranking.ts';
import type { EvalOptions, EvalResult, MetricKey } from '../../../lib/eval/types.ts';
import { clusteredData, matrixScorer } from './fixtures.ts';

// 1500 users, 200 items in 5 clusters, 3..16 items per user (leave-one-out test item).
const data = clusteredData(21, 1500, 200, 5, [3, 16]);
const { nUsers, nItems } = data;
const options: EvalOptions = { ks: [10, 20], coldThreshold: 5 };

/** A model that knows the clusters, blurred by Gaussian noise of the given strength. */
function noisyOracle(seed: number, noise: number): Float32Array {
  const rng = new SplitMix32(seed);
  const s = new Float32Array(nUsers * nItems);
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      s[u * nItems + i] = (data.clusterOf(i) === u % 5 ? 1 : 0) + noise * rng.normal();
    }
  }
  return s;
}

/** Adds `bonus` to the test items of the users picked by `who` (leaking true positives). */
function leak(base: Float32Array, bonus: (u: number) => number): Float32Array {
  const s = base.slice();
  for (let u = 0; u < nUsers; u++) {
    const b = bonus(u);
    if (b === 0) continue;
    for (let a = data.test.indptr[u]!; a < data.test.indptr[u + 1]!; a++) {
      s[u * nItems + data.test.indices[a]!]! += b;
    }
  }
  return s;
}

const evaluate = (scores: Float32Array): EvalResult =>
  evaluateFullRanking(data, matrixScorer(scores, nItems), options);

const baseScores = noisyOracle(1, 1.0);
const A = evaluate(baseScores);
const config: DecisionConfig = { metric: 'ndcg@10', minLift: 0.005, maxDrop: 0.02 };
// Only what the rule reads, and the minimum resamples the design asks for: keeps the file fast.
const fast = { resamples: 1000, metrics: ['ndcg@10', 'tailRecall@10'] as MetricKey[] };

describe('decision rule', () => {
  it('B = A is never promoted', () => {
    const { comparison, decision } = abTest(A, evaluate(baseScores), config, { ...fast, seed: 1 });
    const e = comparison.effects.all['ndcg@10']!;
    expect([e.delta, e.ciLow, e.ciHigh, e.wins, e.losses]).toEqual([0, 0, 0, 0, 0]);
    expect(e.p).toBeNaN();
    expect(decision.promote).toBe(false);
    expect(decision.reasons[0]).toMatch(/^keep A/);
    expect(decision.reasons[1]).toMatch(
      /NDCG@10 did not change .* is not above the required lift 0.005/,
    );
    // even with no lift required at all
    expect(abTest(A, A, { ...config, minLift: 0 }, fast).decision.promote).toBe(false);
  });

  it('B with leaked true positives for a third of the users is promoted', () => {
    const B = evaluate(leak(baseScores, (u) => (u % 3 === 0 ? 4 : 0)));
    const { comparison, decision } = abTest(A, B, config, { ...fast, seed: 1 });
    const e = comparison.effects.all['ndcg@10']!;
    expect(e.ciLow).toBeGreaterThan(0.005);
    expect(e.losses).toBe(0);
    expect(decision.promote).toBe(true);
    expect(decision.reasons[0]).toMatch(/^promote B/);
    expect(decision.reasons[1]).toMatch(
      /^NDCG@10 rose by 0\.\d{4} \(95% CI 0\.\d{4}\.\.0\.\d{4}, p<0\.0001, n=1500 users; \d+ better, 0 worse, \d+ tied\) - the CI lower bound is above the required lift 0\.005$/,
    );
    expect(decision.checks.map((c) => [c.name, c.passed])).toEqual([
      ['lift', true],
      ['significance', true],
      ['coldUsers', true],
      ['sparseUsers', true],
      ['tailItems', true],
    ]);
  });

  it('a strictly better (less noisy) scorer is promoted', () => {
    const B = evaluate(noisyOracle(1, 0.6));
    const { decision } = abTest(A, B, config, { ...fast, seed: 2 });
    expect(decision.promote).toBe(true);
  });

  it('a degraded B (more noise) is not promoted', () => {
    const B = evaluate(noisyOracle(1, 2.0));
    const { comparison, decision } = abTest(A, B, config, { ...fast, seed: 3 });
    expect(comparison.effects.all['ndcg@10']!.delta).toBeLessThan(0);
    expect(decision.promote).toBe(false);
    expect(decision.reasons[1]).toMatch(/^NDCG@10 fell by /);
  });

  it('a real but too small lift is not promoted', () => {
    const B = evaluate(leak(baseScores, (u) => (u % 3 === 0 ? 4 : 0)));
    const { decision } = abTest(A, B, { ...config, minLift: 0.9 }, fast);
    expect(decision.promote).toBe(false);
    expect(decision.checks[0]!.passed).toBe(false);
    expect(decision.checks[1]!.passed).toBe(true);
  });

  it('a lift bought by hurting cold users trips the guard rail', () => {
    // warm users get their test items boosted, cold users (<= 5 train items) get them buried
    const counts = (u: number) => data.train.indptr[u + 1]! - data.train.indptr[u]!;
    const B = evaluate(leak(baseScores, (u) => (counts(u) <= 5 ? -3 : 4)));
    const { comparison, decision } = abTest(A, B, config, fast);
    expect(comparison.effects.all['ndcg@10']!.ciLow).toBeGreaterThan(0.005);
    expect(decision.promote).toBe(false);
    const cold = decision.checks.find((c) => c.name === 'coldUsers')!;
    expect(cold.passed).toBe(false);
    expect(cold.reason).toMatch(
      /^cold users: NDCG@10 fell by \d+(\.\d)?% \(0\.\d{4} -> 0\.\d{4}, 95% CI of the change -\d+(\.\d)?%\.\.[+-]?\d+(\.\d)?%, n=\d+ users\), more than the allowed 2%$/,
    );
    // the sparsest quarter is mostly cold users here: its rail trips too
    expect(decision.checks.find((c) => c.name === 'sparseUsers')!.passed).toBe(false);
    // without the user guard rails the same B would have been promoted
    expect(decide(comparison, { ...config, guardRails: ['tailItems'] }).promote).toBe(true);
  });

  it('a lift for the sparsest quarter of users shows on its own segment', () => {
    const counts = (u: number) => data.train.indptr[u + 1]! - data.train.indptr[u]!;
    const sparse = A.segments.sparseUsers;
    expect(sparse.length).toBe(Math.floor(A.users.length / 4));
    const maxSparse = Math.max(...Array.from(sparse, (q) => counts(A.users[q]!)));
    const B = evaluate(leak(baseScores, (u) => (counts(u) < maxSparse ? 4 : 0)));
    const { comparison } = abTest(A, B, config, fast);
    const e = comparison.effects.sparseUsers['ndcg@10']!;
    expect(e.n).toBe(sparse.length);
    expect(e.ciLow).toBeGreaterThan(comparison.effects.all['ndcg@10']!.ciLow);
  });

  it('absolute drop mode judges the drop in metric units', () => {
    const counts = (u: number) => data.train.indptr[u + 1]! - data.train.indptr[u]!;
    const B = evaluate(leak(baseScores, (u) => (counts(u) <= 5 ? -3 : 4)));
    const cmp = compareResults(A, B, { metrics: ['ndcg@10', 'tailRecall@10'] });
    const drop = -cmp.effects.coldUsers['ndcg@10']!.delta;
    const rails = { guardRails: ['coldUsers', 'tailItems'] } satisfies Partial<DecisionConfig>;
    const absolute = (maxDrop: number) =>
      decide(cmp, { ...config, ...rails, maxDropMode: 'absolute', maxDrop }).promote;
    expect(absolute(drop * 1.01)).toBe(true);
    expect(absolute(drop * 0.99)).toBe(false);
  });

  it('on hand-made effects: strict lift bound, exact wording', () => {
    const effect = (over: Partial<Effect>): Effect => ({
      metric: 'ndcg@10',
      segment: 'all',
      n: 1000,
      meanA: 0.1,
      meanB: 0.1123,
      delta: 0.0123,
      ciLow: 0.0081,
      ciHigh: 0.0165,
      p: 0.0004,
      wins: 300,
      losses: 100,
      ties: 600,
      ...over,
    });
    const cmp: Comparison = {
      level: 0.95,
      resamples: 2000,
      seed: 0,
      effects: {
        all: { 'ndcg@10': effect({}) },
        // cold users: 0.2 -> 0.1936 is a 3.2% drop
        coldUsers: {
          'ndcg@10': effect({
            segment: 'coldUsers',
            n: 80,
            meanA: 0.2,
            meanB: 0.1936,
            delta: -0.0064,
            ciLow: -0.015,
            ciHigh: 0.0022,
          }),
        },
        sparseUsers: {
          'ndcg@10': effect({
            segment: 'sparseUsers',
            n: 250,
            meanA: 0.15,
            meanB: 0.18,
            delta: 0.03,
            ciLow: 0.011,
            ciHigh: 0.049,
          }),
        },
        tailItems: {
          'tailRecall@10': effect({ metric: 'tailRecall@10', segment: 'tailItems', n: 0 }),
        },
      },
    };
    const d = decide(cmp, config);
    expect(d.promote).toBe(false);
    expect(d.reasons).toEqual([
      'keep A: 1 of 5 checks failed',
      'NDCG@10 rose by 0.0123 (95% CI 0.0081..0.0165, p=0.0004, n=1000 users; 300 better, 100 worse, 600 tied) - the CI lower bound is above the required lift 0.005',
      'signed-rank test: p=0.0004 is below alpha 0.05',
      'cold users: NDCG@10 fell by 3.2% (0.2000 -> 0.1936, 95% CI of the change -7.5%..+1.1%, n=80 users), more than the allowed 2%',
      'sparse users: NDCG@10 rose by 20% (0.1500 -> 0.1800, 95% CI of the change +7.3%..+32.7%, n=250 users)',
      'tail items: no users in this segment, guard rail not applied',
    ]);
    // a CI lower bound exactly at minLift is not "above" it
    expect(decide(cmp, { ...config, minLift: 0.0081, guardRails: [] }).promote).toBe(false);
    expect(decide(cmp, { ...config, minLift: 0.008, guardRails: [] }).promote).toBe(true);
    // a 3.2% drop passes a 5% allowance, with the allowance named
    const loose = decide(cmp, { ...config, maxDrop: 0.05 });
    expect(loose.promote).toBe(true);
    expect(loose.reasons[3]).toBe(
      'cold users: NDCG@10 fell by 3.2% (0.2000 -> 0.1936, 95% CI of the change -7.5%..+1.1%, n=80 users), within the allowed 5%',
    );
    // a segment's metric that was 0 for A: a rise has no percentage
    const fromZero = (meanB: number) =>
      decide(
        {
          ...cmp,
          effects: {
            ...cmp.effects,
            tailItems: {
              'tailRecall@10': effect({
                metric: 'tailRecall@10',
                segment: 'tailItems',
                meanA: 0,
                meanB,
                delta: meanB,
                // From 0 the interval is in metric units (a drop relative to 0 has no size).
                ciLow: meanB / 3,
                ciHigh: (meanB * 5) / 3,
              }),
            },
          },
        },
        { ...config, maxDrop: 0.05 },
      ).reasons[5];
    expect(fromZero(0.0062)).toBe(
      'tail items: Recall@10 on tail items rose from 0 (0.0000 -> 0.0062, 95% CI of the change +0.0021..+0.0103, n=1000 users)',
    );
    expect(fromZero(0)).toBe(
      'tail items: Recall@10 on tail items did not change (0.0000 -> 0.0000, 95% CI of the change 0.0000..0.0000, n=1000 users)',
    );

    // A segment under minSegmentUsers (default 50): a fall beyond the allowance blocks B
    // only when its whole interval is below zero.
    const smallCold = (ciHigh: number) => ({
      ...cmp,
      effects: {
        ...cmp.effects,
        coldUsers: {
          'ndcg@10': effect({
            segment: 'coldUsers',
            n: 12,
            meanA: 0.2,
            meanB: 0.18,
            delta: -0.02,
            ciLow: -0.09,
            ciHigh,
          }),
        },
      },
    });
    const noisy = decide(smallCold(0.03), config);
    expect(noisy.promote).toBe(true);
    expect(noisy.reasons[3]).toBe(
      'cold users: NDCG@10 fell by 10% (0.2000 -> 0.1800, 95% CI of the change -45%..+15%, n=12 users), more than the allowed 2%, but 12 users are too few to judge on the point estimate (fewer than 50) and the interval includes no change',
    );
    const sure = decide(smallCold(-0.004), config);
    expect(sure.promote).toBe(false);
    expect(sure.reasons[3]).toBe(
      'cold users: NDCG@10 fell by 10% (0.2000 -> 0.1800, 95% CI of the change -45%..-2%, n=12 users), more than the allowed 2%; 12 users are too few to judge on the point estimate (fewer than 50), but the whole interval is below zero',
    );
    // 0 judges every segment on its point estimate; 12 users at a threshold of 12 are enough
    expect(decide(smallCold(0.03), { ...config, minSegmentUsers: 0 }).promote).toBe(false);
    expect(decide(smallCold(0.03), { ...config, minSegmentUsers: 12 }).promote).toBe(false);
    expect(decide(smallCold(0.03), { ...config, minSegmentUsers: 13 }).promote).toBe(true);
    expect(() => decide(cmp, { ...config, minSegmentUsers: 1.5 })).toThrow(/minSegmentUsers/);
  });

  it('rejects configs that would let B = A through, and unknown metrics', () => {
    const cmp = compareResults(A, A, { metrics: ['ndcg@10', 'tailRecall@10'] });
    expect(() => decide(cmp, { ...config, minLift: -0.01 })).toThrow(/minLift must be >= 0/);
    expect(() => decide(cmp, { ...config, alpha: 2 })).toThrow(/alpha/);
    expect(() => decide(cmp, { ...config, metric: 'recall@10' })).toThrow(
      /no effect for recall@10/,
    );
  });
});

describe('compareResults', () => {
  const B = evaluate(leak(baseScores, (u) => (u % 2 === 0 ? 2 : 0)));

  it('pairs users, counts wins and is reproducible', () => {
    const one = compareResults(A, B, { seed: 5, resamples: 1000 });
    const two = compareResults(A, B, { seed: 5, resamples: 1000 });
    expect(two).toEqual(one);
    const e = one.effects.all['recall@10']!;
    expect(e.n).toBe(1500);
    expect(e.wins + e.losses + e.ties).toBe(1500);
    expect(e.delta).toBeCloseTo(e.meanB - e.meanA, 12);
    expect(e.ciLow).toBeLessThanOrEqual(e.delta);
    expect(e.ciHigh).toBeGreaterThanOrEqual(e.delta);
    // every metric on all users and cold users; tail recall on tail users only
    expect(Object.keys(one.effects.all)).toHaveLength(2 * 6 + 1);
    expect(Object.keys(one.effects.tailItems)).toEqual(['tailRecall@10', 'tailRecall@20']);
    expect(one.effects.coldUsers['ndcg@10']!.n).toBe(A.segments.coldUsers.length);
    expect(one.effects.tailItems['tailRecall@10']!.n).toBe(A.segments.tailUsers.length);
  });

  it('refuses results from different users or cutoffs', () => {
    const other = evaluateFullRanking(data, matrixScorer(baseScores, nItems), { ks: [5] });
    expect(() => compareResults(A, other)).toThrow(/same users, items and cutoffs/);
  });

  it('labels metrics in plain words', () => {
    expect(metricLabel('ndcg@10')).toBe('NDCG@10');
    expect(metricLabel('mrr')).toBe('MRR');
    expect(metricLabel('tailRecall@20')).toBe('Recall@20 on tail items');
  });
});

describe('abTestAsync', () => {
  it('gives the same result as abTest while the event loop keeps getting turns', async () => {
    const B = evaluate(noisyOracle(2, 1.0));
    const opts = { seed: 3, resamples: 5000 }; // every metric, so enough work to notice
    const t0 = performance.now();
    const sync = abTest(A, B, config, opts);
    const syncMs = performance.now() - t0;
    // A timer that should tick every 5 ms: its longest gap is how long the loop was held.
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    const async = await abTestAsync(A, B, config, opts, 50); // 50 ms slices
    clearInterval(timer);
    longest = Math.max(longest, performance.now() - last); // a hold that outlived the timer
    expect(async).toEqual(sync);
    expect(syncMs).toBeGreaterThan(300); // held the loop this long when run at once
    expect(longest).toBeLessThan(200);
  });
});
