import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../../../lib/training/random.ts';
import {
  FullRankingRun,
  evaluateFullRanking,
  evaluateFullRankingAsync,
} from '../../../lib/eval/full-ranking.ts';
import type { EvalData, EvalResult, Scorer } from '../../../lib/eval/types.ts';
import { csrOf, matrixScorer, randomSplits } from './fixtures.ts';

// 3 users, 6 items. Item popularity in train: 0:3, 1:0, 2:2, 3:1, 4:0, 5:0.
const handData: EvalData = {
  nUsers: 3,
  nItems: 6,
  train: csrOf([[0], [0, 2, 3], [0, 2]]),
  valid: csrOf([[1], [], []]),
  // user 2's only test item is in their train set: dropped, so user 2 is not evaluated
  test: csrOf([[3, 5], [4], [2]]),
};
// Every user gets the same scores.
const handScores = Float32Array.of(9, 8, 5, 4, 4, 1);
const handScorer: Scorer = {
  scoreUsers(ids, out) {
    for (let r = 0; r < ids.length; r++) out.set(handScores, r * 6);
  },
};
const LOG2_3 = Math.log2(3);

describe('evaluateFullRanking on a hand-computed case', () => {
  const res = evaluateFullRanking(handData, handScorer, {
    ks: [3, 1],
    coldThreshold: 1,
    tailFraction: 0.5,
    diversity: true,
  });

  it('evaluates users with a rankable test item only', () => {
    expect(Array.from(res.users)).toEqual([0, 1]);
    expect(res.ks).toEqual([1, 3]);
    expect(res.summary.counts.droppedTestItems).toBe(1);
  });

  it('per-user metrics', () => {
    // user 0: excluded {0 train, 1 valid}; ranking 2 (5), 3 (4), 4 (4, loses the tie to 3), 5 (1)
    //   test {3, 5}. top 3 = [2, 3, 4] -> rel [0, 1, 0]
    //   recall@3 = 1/2; NDCG@3 = (1/log2 3) / (1 + 1/log2 3) = 0.3868528; AP@3 = (1/2) / 2 = 0.25
    //   MRR: best test item 3 at rank 2 -> 0.5. Top 1 = [2]: everything 0.
    // user 1: excluded {0, 2, 3}; ranking 1 (8), 4 (4), 5 (1); test {4}
    //   top 3 = [1, 4, 5] -> rel [0, 1, 0]: recall 1, NDCG (1/log2 3)/1 = 0.6309298, AP 1/2
    const p = res.perUser;
    expect(Array.from(p['recall@3']!)).toEqual([0.5, 1]);
    expect(p['ndcg@3']![0]).toBeCloseTo(1 / LOG2_3 / (1 + 1 / LOG2_3), 12);
    expect(p['ndcg@3']![1]).toBeCloseTo(1 / LOG2_3, 12);
    expect(Array.from(p['hr@3']!)).toEqual([1, 1]);
    expect(Array.from(p['map@3']!)).toEqual([0.25, 0.5]);
    expect(Array.from(p.mrr)).toEqual([0.5, 0.5]);
    for (const m of ['recall@1', 'ndcg@1', 'hr@1', 'map@1'] as const) {
      expect(Array.from(p[m]!)).toEqual([0, 0]);
    }
  });

  it('novelty, tail share and tail recall', () => {
    // self-information log2(4 / (count + 1)): item 1: 2, 2: 0.4150375, 3: 1, 4: 2, 5: 2
    // tail (tailFraction 0.5): head = 3 most popular = {0, 2, 3}; tail = {1, 4, 5}
    const si2 = Math.log2(4 / 3);
    const p = res.perUser;
    // user 0 top 3 = [2, 3, 4]: (0.415 + 1 + 2) / 3; user 1 top 3 = [1, 4, 5]: 2
    expect(p['novelty@3']![0]).toBeCloseTo((si2 + 1 + 2) / 3, 12);
    expect(p['novelty@3']![1]).toBeCloseTo(2, 12);
    expect(p['novelty@1']![0]).toBeCloseTo(si2, 12);
    // tail share: user 0 has 1 tail item (4) of 3; user 1 has 3 of 3
    expect(p['tailShare@3']![0]).toBeCloseTo(1 / 3, 12);
    expect(p['tailShare@3']![1]).toBe(1);
    // tail test items: user 0 {5} (3 is head) not in top 3 -> 0; user 1 {4} hit -> 1
    expect(Array.from(p['tailRecall@3']!)).toEqual([0, 1]);
  });

  it('segments, coverage and summary', () => {
    // cold = train count <= 1: user 0 only (position 0); both users have a tail test item
    expect(Array.from(res.segments.coldUsers)).toEqual([0]);
    expect(Array.from(res.segments.tailUsers)).toEqual([0, 1]);
    expect(Array.from(res.segments.tailItems)).toEqual([0, 1, 0, 0, 1, 1]);
    // coverage@1: {2, 1} = 2/6; coverage@3: {2, 3, 4, 1, 5} = 5/6
    expect(res.summary.coverage['coverage@1']).toBeCloseTo(2 / 6, 12);
    expect(res.summary.coverage['coverage@3']).toBeCloseTo(5 / 6, 12);
    expect(res.summary.overall['recall@3']).toBeCloseTo(0.75, 12);
    expect(res.summary.coldUsers['recall@3']).toBeCloseTo(0.5, 12);
    expect(res.summary.tailItems['recall@3']).toBeCloseTo(0.5, 12);
    // sparse users: the quarter with the fewest train items, at least one: user 0
    expect(Array.from(res.segments.sparseUsers)).toEqual([0]);
    expect(res.summary.sparseUsers['recall@3']).toBeCloseTo(0.5, 12);
    // exposure@1: items {2, 1} once each of 6 -> Gini 2/3; @3: counts [0,1,1,1,2,1] -> 10/36
    expect(res.summary.exposure['gini@1']).toBeCloseTo(2 / 3, 12);
    expect(res.summary.exposure['gini@3']).toBeCloseTo(10 / 36, 12);
    for (const k of [1, 3]) {
      const ild = res.summary.diversity[`ild@${k}`]!;
      if (k === 1)
        expect(ild).toBeNaN(); // a list of one item has no pairs
      else expect(ild >= 0 && ild <= 1).toBe(true);
    }
    // Measured only when asked for (early-stopping validation does not pay for it).
    expect(evaluateFullRanking(handData, handScorer, { ks: [3] }).summary.diversity).toEqual({});
    expect(res.summary.counts).toEqual({
      users: 2,
      coldUsers: 1,
      sparseUsers: 1,
      tailUsers: 2,
      tailItems: 3,
      items: 6,
      droppedTestItems: 1,
    });
  });

  it('can rank valid items when told to', () => {
    const r = evaluateFullRanking(handData, handScorer, { ks: [1], excludeValid: false });
    // user 0 can now be recommended item 1 (score 8) first
    expect(r.summary.coverage['coverage@1']).toBeCloseTo(1 / 6, 12);
  });
});

/** Naive reference: full sort per user, metrics straight from their definitions. */
function naive(data: EvalData, scores: Float32Array, k: number) {
  const { nItems } = data;
  const out = new Map<number, { recall: number; ndcg: number; ap: number; rr: number }>();
  for (let u = 0; u < data.nUsers; u++) {
    const excluded = new Set<number>();
    for (const csr of [data.train, data.valid!]) {
      for (let a = csr.indptr[u]!; a < csr.indptr[u + 1]!; a++) excluded.add(csr.indices[a]!);
    }
    const test = new Set<number>();
    for (let a = data.test.indptr[u]!; a < data.test.indptr[u + 1]!; a++) {
      const i = data.test.indices[a]!;
      if (!excluded.has(i)) test.add(i);
    }
    if (test.size === 0) continue;
    const row = scores.subarray(u * nItems, (u + 1) * nItems);
    const order = [...row.keys()]
      .filter((i) => !excluded.has(i))
      .sort((a, b) => row[b]! - row[a]! || a - b);
    let hits = 0;
    let dcg = 0;
    let ap = 0;
    order.slice(0, k).forEach((i, p) => {
      if (test.has(i)) {
        hits++;
        dcg += 1 / Math.log2(p + 2);
        ap += hits / (p + 1);
      }
    });
    let idcg = 0;
    for (let p = 0; p < Math.min(k, test.size); p++) idcg += 1 / Math.log2(p + 2);
    const first = order.findIndex((i) => test.has(i));
    out.set(u, {
      recall: hits / test.size,
      ndcg: dcg / idcg,
      ap: ap / Math.min(k, test.size),
      rr: 1 / (first + 1),
    });
  }
  return out;
}

function randomScores(seed: number, nUsers: number, nItems: number): Float32Array {
  const rng = new SplitMix32(seed);
  // few distinct values, so ties are everywhere
  return Float32Array.from({ length: nUsers * nItems }, () => rng.int(20));
}

describe('evaluateFullRanking against a naive full sort', () => {
  const data = randomSplits(5, 120, 80, [3, 20]);
  const scores = randomScores(6, 120, 80);

  it('agrees per user for every metric', () => {
    const res = evaluateFullRanking(data, matrixScorer(scores, 80), { ks: [5, 10] });
    const ref = naive(data, scores, 10);
    expect(res.users.length).toBe(ref.size);
    res.users.forEach((u, q) => {
      const r = ref.get(u)!;
      expect(res.perUser['recall@10']![q]).toBeCloseTo(r.recall, 12);
      expect(res.perUser['ndcg@10']![q]).toBeCloseTo(r.ndcg, 12);
      expect(res.perUser['map@10']![q]).toBeCloseTo(r.ap, 12);
      expect(res.perUser.mrr[q]).toBeCloseTo(r.rr, 12);
    });
  });

  it('does not depend on the batch size', () => {
    const scorer = matrixScorer(scores, 80);
    const one = evaluateFullRanking(data, scorer, { batchSize: 1 });
    const seven = evaluateFullRanking(data, scorer, { batchSize: 7 });
    const auto = evaluateFullRanking(data, scorer);
    for (const r of [seven, auto]) {
      expect(r.summary).toEqual(one.summary);
      expect(r.perUser['ndcg@20']).toEqual(one.perUser['ndcg@20']);
    }
  });
});

describe('evaluateFullRankingAsync', () => {
  const data = randomSplits(8, 60, 40, [3, 10]);
  const scores = randomScores(9, 60, 40);
  const sync = evaluateFullRanking(data, matrixScorer(scores, 40), { batchSize: 8 });

  it('gives the same result, reports progress and yields between batches', async () => {
    const progress: Array<[number, number]> = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const seenTicks: number[] = [];
    const slow = {
      async scoreUsers(ids: Int32Array, out: Float32Array) {
        seenTicks.push(ticks);
        matrixScorer(scores, 40).scoreUsers(ids, out);
        // a busy scorer: the event loop only runs if the evaluator yields
        const end = Date.now() + 3;
        while (Date.now() < end);
      },
    };
    const res: EvalResult = await evaluateFullRankingAsync(data, slow, {
      batchSize: 8,
      onProgress: (done, total) => progress.push([done, total]),
    });
    clearInterval(timer);
    expect(res.summary).toEqual(sync.summary);
    const n = res.users.length;
    expect(progress.at(-1)).toEqual([n, n]);
    expect(progress.length).toBe(Math.ceil(n / 8));
    // the interval timer fired between batches, so heartbeats could too
    expect(seenTicks.at(-1)!).toBeGreaterThan(0);
  });

  it('measures diversity in steps, with the same figures as at once', async () => {
    const options = { batchSize: 8, ks: [5, 10], diversity: true };
    const once = evaluateFullRanking(data, matrixScorer(scores, 40), options);
    const run = new FullRankingRun(data, options);
    for (let b = 0; b < run.batchCount; b++) {
      matrixScorer(scores, 40).scoreUsers(run.batchUsers(b), run.batchBuffer(b));
      run.consume(b);
    }
    const steps = run.finishSteps();
    let yields = 0;
    let r = steps.next();
    while (!r.done) {
      yields++;
      r = steps.next();
    }
    // At least one step per kept top list (every user's here), so none holds the loop long.
    expect(yields).toBeGreaterThan(run.userCount);
    expect(r.value.summary).toEqual(once.summary);
    expect(Object.keys(once.summary.diversity)).toEqual(['ild@5', 'ild@10']);
    const res = await evaluateFullRankingAsync(data, matrixScorer(scores, 40), options);
    expect(res.summary).toEqual(once.summary);
  });

  it('stops when the signal aborts', async () => {
    const ctl = new AbortController();
    const run = evaluateFullRankingAsync(data, matrixScorer(scores, 40), {
      batchSize: 4,
      signal: ctl.signal,
      onProgress: (done) => {
        if (done >= 8) ctl.abort(new Error('cancelled'));
      },
    });
    await expect(run).rejects.toThrow('cancelled');
  });

  it('the sync variant refuses an async scorer', () => {
    const asyncScorer = { scoreUsers: async () => {} } as unknown as Scorer;
    expect(() => evaluateFullRanking(data, asyncScorer)).toThrow(/evaluateFullRankingAsync/);
  });
});

describe('input checks', () => {
  it('rejects malformed CSRs and options with precise messages', () => {
    const bad = {
      ...handData,
      test: { indptr: Int32Array.of(0, 1, 1), indices: Int32Array.of(0) },
    };
    expect(() => new FullRankingRun(bad)).toThrow(/test: indptr has length 3, expected 4/);
    const outOfRange = { ...handData, train: csrOf([[0], [7], []]) };
    expect(() => new FullRankingRun(outOfRange)).toThrow(/train: item id 7/);
    expect(() => new FullRankingRun(handData, { ks: [0] })).toThrow(/positive integer/);
  });

  it('throws when the scorer produces NaN', () => {
    const nan: Scorer = { scoreUsers: (_ids, out) => out.fill(NaN) };
    expect(() => evaluateFullRanking(handData, nan)).toThrow(/NaN/);
  });
});
