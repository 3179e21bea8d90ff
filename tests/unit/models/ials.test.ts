import { describe, expect, it } from 'vitest';
import { evaluateFullRanking } from '../../../lib/eval/index.ts';
import { ItemKnnScorer, PopularityScorer } from '../../../lib/models/baselines/index.ts';
import { WasmArena, allocCopy } from '../../../lib/compute/arena.ts';
import {
  JsRowProducts,
  addDiagonal,
  cgSolveRows,
  gram,
  mirrorUpper,
  observations,
} from '../../../lib/models/ials/ials.ts';
import type { CgScratch } from '../../../lib/models/ials/ials.ts';
import {
  IalsSimd,
  SimdRowProducts,
  ialsSimdAvailable,
} from '../../../lib/models/ials/ials-simd.ts';
import { loadModel, trainRecommender } from '../../../lib/models/index.ts';
import type { TrainConfig, TrainingSet } from '../../../lib/models/index.ts';
import { expectExactResume } from '../../helpers/resume.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { trainingSetOf } from '../../helpers/training-set.ts';
import type { ExtraRow } from '../../helpers/training-set.ts';

const { pre, nUsers, nItems, data } = syntheticSplits({
  users: 3000,
  items: 1500,
  interactions: 150_000,
  seed: 42,
  kCore: 5,
});
const validation = { train: data.train, valid: data.valid };

const trainSet = (extra?: ExtraRow[]) => trainingSetOf(pre.train, nUsers, nItems, extra);

const config: TrainConfig = {
  family: 'ials',
  factors: 32,
  epochs: 15,
  batchSize: 0,
  learningRate: 0,
  l2: 1,
  alpha: 5,
  cgSteps: 3,
  negatives: 0,
  mlpLayers: [],
  patience: 5,
  evalEvery: 1,
  seed: 3,
};

const ndcg = (m: Parameters<typeof evaluateFullRanking>[1]) =>
  evaluateFullRanking(data, m, { ks: [10] }).summary.overall['ndcg@10']!;

/** x solving (G + sum_r extra_r y_r y_r') x = sum_r target_r y_r, by Gaussian elimination. */
function exactRow(
  g: Float64Array,
  fixed: Float32Array,
  dim: number,
  rows: [number, number, number][],
) {
  const a = Array.from({ length: dim }, (_, i) => [
    ...Array.from({ length: dim }, (_, j) => g[i * dim + j]!),
    0,
  ]);
  for (const [item, extra, target] of rows)
    for (let i = 0; i < dim; i++) {
      const yi = fixed[item * dim + i]!;
      a[i]![dim]! += target * yi;
      for (let j = 0; j < dim; j++) a[i]![j]! += extra * yi * fixed[item * dim + j]!;
    }
  for (let c = 0; c < dim; c++) {
    for (let r = c + 1; r < dim; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= dim; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  const x = new Array<number>(dim).fill(0);
  for (let r = dim - 1; r >= 0; r--) {
    let s = a[r]![dim]!;
    for (let k = r + 1; k < dim; k++) s -= a[r]![k]! * x[k]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

describe('implicit ALS', () => {
  it('conjugate gradient with dim steps solves each row exactly; explicit negatives pull toward 0', () => {
    const dim = 6;
    const items = Float32Array.from({ length: 5 * dim }, (_, k) => Math.sin(k * 1.7) * 0.5);
    const set: TrainingSet = {
      nUsers: 2,
      nItems: 5,
      n: 4,
      user: Int32Array.of(0, 0, 1, 0),
      item: Int32Array.of(1, 3, 2, 4),
      label: Uint8Array.of(1, 1, 1, 0),
      weight: Float32Array.of(1, 2, 1, 0.5),
    };
    const obs = observations(set, 4, 'user');
    // User 0: items 1 (c = 5), 3 (c = 9) and the explicit negative 4 (c = 3, target 0).
    expect(Array.from(obs.ptr)).toEqual([0, 3, 4]);
    expect(Array.from(obs.extra.subarray(0, 3))).toEqual([4, 8, 2]);
    expect(Array.from(obs.target.subarray(0, 3))).toEqual([5, 9, 0]);
    const g = addDiagonal(gram(items, dim), 0.1);
    const users = new Float32Array(2 * dim).fill(0.3);
    const vectors = () => [0, 1, 2, 3].map(() => new Float64Array(dim)) as CgScratch;
    cgSolveRows(new JsRowProducts(items, g, obs, dim), users, dim, dim, 0, 2, vectors());
    const want = exactRow(g, items, dim, [
      [1, 4, 5],
      [3, 8, 9],
      [4, 2, 0],
    ]);
    for (let a = 0; a < dim; a++) expect(users[a]).toBeCloseTo(want[a]!, 4);
  });

  it("the WebAssembly SIMD products reach the JS loops' solution to float32 precision", () => {
    expect(ialsSimdAvailable(8)).toBe(true);
    const dim = 8;
    const set = trainSet();
    const items = Float32Array.from({ length: nItems * dim }, (_, k) => Math.cos(k * 0.37) * 0.1);
    const users = Float32Array.from({ length: nUsers * dim }, (_, k) => Math.sin(k * 0.11) * 0.1);
    const g = addDiagonal(gram(items, dim), 2);
    const js = users.slice();
    const vectors = [0, 1, 2, 3].map(() => new Float64Array(dim)) as CgScratch;
    cgSolveRows(
      new JsRowProducts(items, g, observations(set, 5, 'user'), dim),
      js,
      dim,
      3,
      0,
      nUsers,
      vectors,
    );

    const arena = new WasmArena(64 << 20);
    const kernel = new IalsSimd(arena, dim);
    const obs = observations(set, 5, 'user', arena);
    const fixed = allocCopy(arena, items);
    const gramReg = allocCopy(arena, Float32Array.from(g));
    const wasm = allocCopy(arena, users);
    const simdVectors = [0, 1, 2, 3].map(() => arena.floats(dim)) as CgScratch;
    cgSolveRows(
      new SimdRowProducts(kernel, fixed, gramReg, obs, dim),
      wasm,
      dim,
      3,
      0,
      nUsers,
      simdVectors,
    );
    let worst = 0;
    let scale = 0;
    for (let k = 0; k < js.length; k++) {
      worst = Math.max(worst, Math.abs(js[k]! - wasm[k]!));
      scale = Math.max(scale, Math.abs(js[k]!));
    }
    expect(scale).toBeGreaterThan(0.01);
    expect(worst / scale).toBeLessThan(1e-3);
    // The observed part of the objective agrees too (float64 sums on both sides).
    const jsProducts = new JsRowProducts(items, g, observations(set, 5, 'user'), dim);
    const simdProducts = new SimdRowProducts(kernel, fixed, gramReg, obs, dim);
    for (const u of [0, 1, 17, nUsers - 1]) {
      const row = wasm.subarray(u * dim, (u + 1) * dim);
      expect(simdProducts.loss(u, row)).toBeCloseTo(jsProducts.loss(u, Float64Array.from(row)), 4);
    }
    // A row outside the arena is refused, not read from the wrong memory.
    expect(() =>
      new SimdRowProducts(kernel, items, gramReg, obs, dim).aTimes(
        0,
        simdVectors[0],
        simdVectors[1],
      ),
    ).toThrow('not in this wasm arena');
  });

  it("the SIMD Gram matrix is the JS loops' bits, whole or built from ranges of its rows", () => {
    for (const dim of [8, 12]) {
      const rows = 301;
      const arena = new WasmArena(1 << 20);
      const kernel = new IalsSimd(arena, dim);
      const table = arena.floats(rows * dim);
      for (let k = 0; k < table.length; k++) table[k] = Math.sin(k * 0.37) * (k % 7 === 0 ? 0 : 3);
      const want = gram(table, dim);
      const cells = arena.floats(2 * dim * dim);
      const g = new Float64Array(cells.buffer, cells.byteOffset, dim * dim);
      for (const bounds of [
        [0, dim],
        [0, 1, 5, 6, dim],
      ]) {
        g.fill(NaN);
        for (let c = 0; c + 1 < bounds.length; c++) kernel.gram(table, g, bounds[c], bounds[c + 1]);
        mirrorUpper(g, dim);
        expect(g).toEqual(want);
        expect(g.every((x, k) => Object.is(x, want[k]))).toBe(true);
      }
    }
  });

  it('learns: above popularity and ItemKNN, the objective falls, saves and loads as ials', async () => {
    const r = await trainRecommender(trainSet(), validation, config);
    expect(r.kernel).toBe('cg-simd');
    const losses = r.history.map((h) => h.loss);
    for (let e = 1; e < losses.length; e++) expect(losses[e]).toBeLessThan(losses[e - 1]!);
    const model = ndcg(r.model);
    expect(model).toBeGreaterThan(1.3 * ndcg(PopularityScorer.fit(data.train, nItems)));
    expect(model).toBeGreaterThan(ndcg(ItemKnnScorer.fit(data.train, nItems)));
    expect(r.bestValidNdcg10).toBe(Math.max(...r.history.map((h) => h.validNdcg10 ?? 0)));
    const loaded = await loadModel(await r.model.save());
    expect(loaded.family).toBe('ials');
    const users = Int32Array.of(0, 7, 11);
    const [a, b] = [new Float32Array(3 * nItems), new Float32Array(3 * nItems)];
    await r.model.scoreUsers(users, a);
    await loaded.scoreUsers(users, b);
    expect(b).toEqual(a);
  }, 60_000);

  it('trains with the JS loops when factors do not fit the SIMD kernel', async () => {
    const r = await trainRecommender(trainSet(), validation, { ...config, factors: 30, epochs: 4 });
    expect(r.kernel).toBe('cg-js');
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss);
    expect(ndcg(r.model)).toBeGreaterThan(1.3 * ndcg(PopularityScorer.fit(data.train, nItems)));
  }, 60_000);

  it('resumes from a checkpoint exactly; a BPR-MF checkpoint is refused', async () => {
    const set = trainSet();
    const short = { ...config, epochs: 4 };
    const saved = await expectExactResume(
      (hooks) => trainRecommender(set, validation, short, hooks),
      nItems,
    );
    await expect(
      trainRecommender(set, validation, { ...short, factors: 16 }, { resumeFrom: saved }),
    ).rejects.toThrow(`(ials ${nUsers}x${nItems} dim 32)`);
  }, 60_000);

  it('scores explicit negatives lower, rejects bad rows precisely, and stops when aborted', async () => {
    const target = 0;
    const extra = Array.from({ length: nUsers }, (_, u) => ({
      user: u,
      item: target,
      label: 0 as const,
    }));
    const short = { ...config, epochs: 3 };
    const base = await trainRecommender(trainSet(), validation, short);
    const neg = await trainRecommender(trainSet(extra), validation, short);
    const meanScore = async (m: typeof base.model) => {
      const out = new Float32Array(nUsers * nItems);
      await m.scoreUsers(
        Int32Array.from({ length: nUsers }, (_, u) => u),
        out,
      );
      let s = 0;
      for (let u = 0; u < nUsers; u++) s += out[u * nItems + target]!;
      return s / nUsers;
    };
    expect(await meanScore(neg.model)).toBeLessThan(await meanScore(base.model));

    const bad = trainSet();
    bad.user[5] = -1;
    await expect(trainRecommender(bad, validation, short)).rejects.toThrow(
      `training set row 5: user -1 is not in [0, ${nUsers})`,
    );
    const ctrl = new AbortController();
    ctrl.abort(new Error('cancelled by Temporal'));
    await expect(
      trainRecommender(trainSet(), validation, short, { signal: ctrl.signal }),
    ).rejects.toThrow('cancelled by Temporal');
  }, 60_000);
});
