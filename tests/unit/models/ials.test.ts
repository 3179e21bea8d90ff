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
import type { CgScratch, Observations, RowProducts, Vec } from '../../../lib/models/ials/ials.ts';
import {
  IalsSimd,
  SimdRowSolver,
  ialsScratchFloats,
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

/**
 * <row, v> as the SIMD kernel sums it in float32: per lane, even and odd vectors of four
 * apart, their sum, then the lanes in order.
 */
function dot32(row: Float32Array, at: number, v: Vec, dim: number): number {
  const acc = [new Float32Array(4), new Float32Array(4)];
  for (let f = 0; f < dim / 4; f++)
    for (let lane = 0; lane < 4; lane++)
      acc[f % 2]![lane]! += Math.fround(row[at + 4 * f + lane]! * v[4 * f + lane]!);
  const s = acc[0]!.map((x, lane) => x + acc[1]![lane]!);
  return Math.fround(Math.fround(Math.fround(s[0]! + s[1]!) + s[2]!) + s[3]!);
}

/** The SIMD kernel's products, emulated in JS float32 (its documented arithmetic). */
class Float32RowProducts implements RowProducts {
  constructor(
    private readonly fixed: Float32Array,
    private readonly gramReg: Float32Array,
    private readonly obs: Observations,
    private readonly dim: number,
  ) {}

  aTimes(u: number, v: Vec, out: Vec): void {
    for (let a = 0; a < this.dim; a++) out[a] = dot32(this.gramReg, a * this.dim, v, this.dim);
    this.addObserved(false, u, v, out);
  }

  residual(u: number, x: Vec, out: Vec): void {
    for (let a = 0; a < this.dim; a++) out[a] = -dot32(this.gramReg, a * this.dim, x, this.dim);
    this.addObserved(true, u, x, out);
  }

  loss(u: number, x: Vec): number {
    const { ptr, other, extra, target } = this.obs;
    let sum = 0;
    for (let k = ptr[u]!; k < ptr[u + 1]!; k++) {
      const s = dot32(this.fixed, other[k]! * this.dim, x, this.dim);
      sum = sum + target[k]! - (target[k]! + target[k]!) * s + extra[k]! * s * s;
    }
    return sum;
  }

  private addObserved(residual: boolean, u: number, v: Vec, out: Vec): void {
    const { fixed, dim } = this;
    const { ptr, other, extra, target } = this.obs;
    for (let k = ptr[u]!; k < ptr[u + 1]!; k++) {
      const y = other[k]! * dim;
      const scaled = Math.fround(extra[k]! * dot32(fixed, y, v, dim));
      const coef = residual ? Math.fround(target[k]! - scaled) : scaled;
      for (let a = 0; a < dim; a++)
        out[a] = Math.fround(out[a]! + Math.fround(coef * fixed[y + a]!));
    }
  }
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

  it("the SIMD row solves are their float32 emulation's bits and near the float64 JS loops", () => {
    expect(ialsSimdAvailable(8)).toBe(true);
    const set = trainSet();
    // 12 factors: an odd number of f32x4 vectors; items have rows longer than a block.
    for (const [dim, by] of [
      [8, 'user'],
      [12, 'item'],
    ] as const) {
      const rows = by === 'user' ? nUsers : nItems;
      const fixedRows = by === 'user' ? nItems : nUsers;
      const arena = new WasmArena(64 << 20);
      const kernel = new IalsSimd(arena, dim);
      const obs = observations(set, 5, by, arena);
      const fixed = arena.floats(fixedRows * dim);
      fixed.forEach((_, k) => (fixed[k] = Math.cos(k * 0.37) * 0.1));
      const start = Float32Array.from({ length: rows * dim }, (_, k) => Math.sin(k * 0.11) * 0.1);
      const g = addDiagonal(gram(fixed, dim), 2);
      const gramReg = allocCopy(arena, Float32Array.from(g));
      const solve = allocCopy(arena, start);
      const lossCells = arena.floats(2 * rows);
      const loss = new Float64Array(lossCells.buffer, lossCells.byteOffset, rows);
      const scratch = arena.floats(ialsScratchFloats(dim));
      const solver = new SimdRowSolver(kernel, { solve, fixed, gramReg, obs, scratch, loss }, 3);
      // In ranges (as threads take them): the same bits as the emulation row by row.
      for (const [from, to] of [
        [0, 5],
        [5, 6],
        [6, rows],
      ] as const)
        solver.solve(from, to);
      const emulated = start.slice();
      const f32 = new Float32RowProducts(fixed, gramReg, obs, dim);
      const vectors = () => [0, 1, 2, 3].map(() => new Float32Array(dim)) as CgScratch;
      cgSolveRows(f32, emulated, dim, 3, 0, rows, vectors());
      expect(solve.every((x, k) => Object.is(x, emulated[k]))).toBe(true);
      for (let r = 0; r < rows; r++)
        expect(loss[r]).toBe(f32.loss(r, solve.subarray(r * dim, (r + 1) * dim)));

      // The float64 JS loops reach the same solution to float32 precision.
      const js = start.slice();
      const products = new JsRowProducts(fixed, g, obs, dim);
      cgSolveRows(
        products,
        js,
        dim,
        3,
        0,
        rows,
        [0, 1, 2, 3].map(() => new Float64Array(dim)) as CgScratch,
      );
      let worst = 0;
      let scale = 0;
      for (let k = 0; k < js.length; k++) {
        worst = Math.max(worst, Math.abs(js[k]! - solve[k]!));
        scale = Math.max(scale, Math.abs(js[k]!));
      }
      expect(scale).toBeGreaterThan(0.01);
      expect(worst / scale).toBeLessThan(1e-3);
      for (const r of [0, 1, 17, rows - 1]) {
        const row = solve.subarray(r * dim, (r + 1) * dim);
        expect(loss[r]).toBeCloseTo(products.loss(r, Float64Array.from(row)), 4);
      }

      // Arrays outside the arena and rows outside the table are refused.
      expect(
        () => new SimdRowSolver(kernel, { solve, fixed: fixed.slice(), gramReg, obs, scratch }, 3),
      ).toThrow('not in this wasm arena');
      expect(() => solver.solve(rows - 1, rows + 1)).toThrow(
        `iALS solve: rows ${rows - 1} .. ${rows + 1} outside 0 .. ${rows}`,
      );
    }
  });

  it("the SIMD Gram matrix is the JS loops' bits, whole or built from ranges of its rows", () => {
    // 36 factors: tiles of 8, 8 and 2 pairs of entries, some wholly below the diagonal.
    for (const dim of [8, 12, 36]) {
      const rows = 301;
      const arena = new WasmArena(1 << 20);
      const kernel = new IalsSimd(arena, dim);
      const scratch = arena.floats(ialsScratchFloats(dim));
      const table = arena.floats(rows * dim);
      for (let k = 0; k < table.length; k++) table[k] = Math.sin(k * 0.37) * (k % 7 === 0 ? 0 : 3);
      const want = gram(table, dim);
      const cells = arena.floats(2 * dim * dim);
      const g = new Float64Array(cells.buffer, cells.byteOffset, dim * dim);
      for (const bounds of [
        [0, dim],
        [0, 1, 5, 6, dim],
        [0, dim - 3, dim - 1, dim],
      ]) {
        g.fill(NaN);
        for (let c = 0; c + 1 < bounds.length; c++)
          kernel.gram(table, g, scratch, bounds[c], bounds[c + 1]);
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
