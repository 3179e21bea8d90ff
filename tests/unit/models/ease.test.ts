import { describe, expect, it } from 'vitest';
import { runSteps } from '../../../lib/async/steps.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import type { AsyncScorer } from '../../../lib/eval/types.ts';
import {
  EASE_MAX_ITEMS,
  EaseScorer,
  EaseTooLargeError,
  fitEaseOnValidation,
} from '../../../lib/models/ease/ease.ts';
import { invertSpdSteps } from '../../../lib/models/ease/spd-inverse.ts';
import { Rng } from '../../../lib/training/random.ts';
import { NON_RETRYABLE_ERRORS } from '../../../lib/contracts/index.ts';
import { evaluateFullRanking } from '../../../lib/eval/full-ranking.ts';
import { PopularityScorer, strongestBaseline } from '../../../lib/models/baselines/index.ts';
import { recencyRankSteps } from '../../../lib/models/baselines/recency.ts';
import { validationNdcg10 } from '../../../lib/models/validation-score.ts';
import { loadModel, trainRecommender } from '../../../lib/models/index.ts';
import type { TrainConfig } from '../../../lib/models/index.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { trainingSetOf } from '../../helpers/training-set.ts';

/** Plain Gauss-Jordan inverse: the reference for the Cholesky route. */
function gaussJordanInverse(a: Float64Array, n: number): Float64Array {
  const m = a.slice();
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    const p = m[c * n + c]!;
    for (let j = 0; j < n; j++) {
      m[c * n + j]! /= p;
      inv[c * n + j]! /= p;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c]!;
      for (let j = 0; j < n; j++) {
        m[r * n + j]! -= f * m[c * n + j]!;
        inv[r * n + j]! -= f * inv[c * n + j]!;
      }
    }
  }
  return inv;
}

/** A random user x item log: `users` users with 3..12 items each from `items`. */
function randomLog(seed: number, users: number, items: number) {
  const rng = new Rng(seed);
  const u: number[] = [];
  const i: number[] = [];
  for (let a = 0; a < users; a++) {
    const n = 3 + Math.floor(rng.next() * 10);
    for (let k = 0; k < n; k++) {
      u.push(a);
      i.push(Math.floor(rng.next() * rng.next() * items));
    }
  }
  return csrFromCoo(Int32Array.from(u), Int32Array.from(i), u.length, users);
}

describe('EASE', () => {
  // Sizes around the blocks of 2, 4 and 8 rows, each remainder included.
  it.each([1, 2, 3, 5, 6, 7, 8, 9, 12, 15, 17, 37])(
    'inverts a symmetric positive definite %i x %i matrix like Gauss-Jordan does',
    (n) => {
      const rng = new Rng(3 + n);
      const x = Float64Array.from({ length: n * n }, () => rng.next() - 0.5);
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let s = i === j ? 0.5 : 0;
          for (let k = 0; k < n; k++) s += x[i * n + k]! * x[j * n + k]!;
          a[i * n + j] = s;
        }
      const want = gaussJordanInverse(a, n);
      runSteps(invertSpdSteps(a, n));
      for (let k = 0; k < n * n; k++) expect(a[k]).toBeCloseTo(want[k]!, 8);
    },
  );

  it('names a pivot past the first block when that one is not positive', () => {
    // Identity, except rows 9 and 10 make a 2 x 2 block [[1, 2], [2, 1]].
    const n = 13;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = 1;
    a[9 * n + 10] = 2;
    a[10 * n + 9] = 2;
    expect(() => runSteps(invertSpdSteps(a, n))).toThrow(/not positive definite \(pivot 10/);
  });

  it('refuses a matrix that is not positive definite, naming the pivot', () => {
    const a = Float64Array.of(1, 2, 2, 1);
    expect(() => runSteps(invertSpdSteps(a, 2))).toThrow(/not positive definite \(pivot 1/);
  });

  it('weights are I - P / diag(P) with a zero diagonal, and a user scores their row times B', () => {
    const nItems = 20;
    const train = randomLog(1, 60, nItems);
    const lambda = 5;
    const model = EaseScorer.fit(train, nItems, lambda);
    const gram = new Float64Array(nItems * nItems);
    for (let u = 0; u < 60; u++)
      for (let a = train.indptr[u]!; a < train.indptr[u + 1]!; a++)
        for (let b = train.indptr[u]!; b < train.indptr[u + 1]!; b++)
          gram[train.indices[a]! * nItems + train.indices[b]!]! += 1;
    for (let i = 0; i < nItems; i++) gram[i * nItems + i]! += lambda;
    const p = gaussJordanInverse(gram, nItems);
    for (let i = 0; i < nItems; i++)
      for (let j = 0; j < nItems; j++) {
        const want = i === j ? 0 : -p[i * nItems + j]! / p[j * nItems + j]!;
        expect(model.weights[i * nItems + j]).toBeCloseTo(want, 5);
      }
    const out = new Float32Array(nItems);
    model.scoreUsers(Int32Array.of(7), out);
    for (let j = 0; j < nItems; j++) {
      let want = 0;
      for (let a = train.indptr[7]!; a < train.indptr[8]!; a++)
        want += model.weights[train.indices[a]! * nItems + j]!;
      expect(out[j]).toBeCloseTo(want, 5);
    }
  });

  it('chooses lambda by the validation score it is given, and only by that', async () => {
    const train = randomLog(2, 80, 30);
    const seen: number[] = [];
    // A ranking function that prefers the largest lambda: the choice must follow it.
    const choice = await fitEaseOnValidation(train, 30, async (scorer) => {
      seen.push(scorer.lambda);
      return scorer.lambda;
    });
    expect(seen).toHaveLength(4);
    expect(choice.lambda).toBe(Math.max(...seen));
    expect(choice.candidates.map((c) => c.lambda)).toEqual(seen);
  });

  it('says what to do when the catalog is too large for the dense solve', () => {
    const n = EASE_MAX_ITEMS + 1;
    const train = csrFromCoo(Int32Array.of(0), Int32Array.of(0), 1, 1);
    expect(() => EaseScorer.fit(train, n, 1)).toThrow(EaseTooLargeError);
    expect(() => EaseScorer.fit(train, n, 1)).toThrow(/at most 5000 items; this catalog has 5001/);
  });
});

describe('family ease', () => {
  const { pre, nUsers, nItems, data } = syntheticSplits({
    users: 1200,
    items: 600,
    interactions: 50_000,
    seed: 8,
    kCore: 5,
  });
  const validation = { train: data.train, valid: data.valid };
  const config = { family: 'ease', seed: 1 } as TrainConfig;
  const ndcg = (m: Parameters<typeof evaluateFullRanking>[1]) =>
    evaluateFullRanking(data, m, { ks: [10] }).summary.overall['ndcg@10']!;
  /** A trained model and its saved-and-loaded copy score some users identically. */
  const expectSameScores = async (model: AsyncScorer, loaded: AsyncScorer) => {
    const users = Int32Array.of(0, 5, 77);
    const a = new Float32Array(users.length * nItems);
    const b = new Float32Array(users.length * nItems);
    await model.scoreUsers(users, a);
    await loaded.scoreUsers(users, b);
    expect(b).toEqual(a);
  };

  it('trains with lambda chosen on validation, beats popularity, and loads back identically', async () => {
    const set = trainingSetOf(pre.train, nUsers, nItems);
    const result = await trainRecommender(set, validation, config);
    expect(result.model.family).toBe('ease');
    expect(result.history).toHaveLength(4);
    const best = Math.max(...result.history.map((h) => h.validNdcg10!));
    expect(result.bestValidNdcg10).toBe(best);
    const test = ndcg(result.model);
    expect(test).toBeGreaterThan(1.2 * ndcg(PopularityScorer.fit(data.train, nItems)));
    const loaded = await loadModel(await result.model.save());
    expect(loaded.family).toBe('ease');
    await expectSameScores(result.model, loaded);
  });

  it('with fixed relative lambdas tries only those, and says which multiple it chose', async () => {
    const set = trainingSetOf(pre.train, nUsers, nItems);
    const grid = await trainRecommender(set, validation, config);
    const relative = grid.chosen!.relativeLambda!;
    expect([0.5, 2, 8, 32]).toContain(relative);
    const fixed = await trainRecommender(set, validation, {
      ...config,
      relativeLambdas: [relative],
    });
    expect(fixed.history).toHaveLength(1);
    expect(fixed.chosen).toEqual(grid.chosen);
    expect(fixed.bestValidNdcg10).toBe(grid.bestValidNdcg10);
    const other = relative === 32 ? 0.5 : 32;
    const elsewhere = await trainRecommender(set, validation, {
      ...config,
      relativeLambdas: [other],
    });
    expect(elsewhere.chosen!.relativeLambda).toBe(other);
    expect(elsewhere.chosen!.lambda).toBeCloseTo((grid.chosen!.lambda! / relative) * other, 6);
  });

  it('weights rows and leaves explicit negatives out', async () => {
    const plain = await trainRecommender(
      trainingSetOf(pre.train, nUsers, nItems),
      validation,
      config,
    );
    const withNegative = await trainRecommender(
      trainingSetOf(pre.train, nUsers, nItems, [{ user: 0, item: 1, label: 0 }]),
      validation,
      config,
    );
    const users = Int32Array.of(0);
    const a = new Float32Array(nItems);
    const b = new Float32Array(nItems);
    await plain.model.scoreUsers(users, a);
    await withNegative.model.scoreUsers(users, b);
    expect(b).toEqual(a);
  });

  it('with recency auto, weights histories towards the latest rows as the teacher does, and saves the weights', async () => {
    const set = trainingSetOf(pre.train, nUsers, nItems);
    const trainRecency = runSteps(recencyRankSteps(pre.train, nUsers));
    const withRanks = { ...validation, trainRecency };
    const result = await trainRecommender(set, withRanks, { ...config, recency: 'auto' });
    // The generator's users drift to a second cluster over time: order helps on validation.
    const plain = await trainRecommender(set, validation, config);
    expect(result.history).toHaveLength(4);
    expect(result.bestValidNdcg10).toBeGreaterThan(plain.bestValidNdcg10);
    expect(result.chosen!.halfLife).toBeGreaterThan(0);
    // The strongest-baseline search's EASE picks lambda on the plain history, then the
    // half-life: one of the pairs this search scores, so it cannot do better.
    const teacher = await strongestBaseline(data.train, data.valid, nItems, {
      candidates: ['ease'],
      recency: trainRecency,
    });
    expect(teacher.candidates[0]!.chosen!.halfLife).toBeGreaterThan(0);
    expect(result.bestValidNdcg10).toBeGreaterThanOrEqual(teacher.validNdcg10 - 1e-9);
    // The winning pair's figure is the saved model's.
    expect(await validationNdcg10(result.model, withRanks)).toBeCloseTo(result.bestValidNdcg10, 9);
    const files = await result.model.save();
    const meta = JSON.parse(new TextDecoder().decode(files[0]!.bytes)) as { halfLife?: number };
    expect(meta.halfLife).toBe(result.chosen!.halfLife);
    const loaded = await loadModel(files);
    await expectSameScores(result.model, loaded);
    await expect(trainRecommender(set, validation, { ...config, recency: 'auto' })).rejects.toThrow(
      /needs the train split's recency ranks/,
    );
  });

  it('refuses a catalog above its limit with a non-retryable error', async () => {
    const big = { ...trainingSetOf(pre.train, nUsers, nItems), nItems: EASE_MAX_ITEMS + 1 };
    await expect(trainRecommender(big, validation, config)).rejects.toThrow(EaseTooLargeError);
    expect(NON_RETRYABLE_ERRORS).toContain('EaseTooLargeError');
  });
});
