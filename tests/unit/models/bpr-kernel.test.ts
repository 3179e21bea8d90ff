import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../lib/compute/backend.ts';
import { Rng } from '../../../lib/training/random.ts';
import { BprBatch, createBprKernel } from '../../../lib/models/bpr/bpr-kernel.ts';
import type { BprKernelSetting, BprOptimizer } from '../../../lib/models/bpr/bpr-kernel.ts';
import type { BprMfWeights } from '../../../lib/models/bpr/bpr-mf.ts';
import { LazyAdam } from '../../../lib/training/adam.ts';

const shape = { nUsers: 30, nItems: 25, dim: 8, maxBatch: 64 };
const l2 = 0.01;

/** A kernel with weights and a batch of `n` samples in its memory, all drawn from seed 1. */
function setup(setting: BprKernelSetting, n = 60, optimizer: BprOptimizer = 'adam') {
  const kernel = createBprKernel(setting, 'wasm', { ...shape, optimizer });
  const { nUsers, nItems, dim } = shape;
  const rng = new Rng(1);
  const fill = (a: Float32Array, scale: number) => {
    for (let k = 0; k < a.length; k++) a[k] = scale * rng.normal();
    return a;
  };
  const w: BprMfWeights = {
    nUsers,
    nItems,
    dim,
    users: fill(kernel.alloc.floats(nUsers * dim), 0.5),
    items: fill(kernel.alloc.floats(nItems * dim), 0.5),
    itemBias: fill(kernel.alloc.floats(nItems), 0.2),
  };
  const b = new BprBatch(shape.maxBatch, dim, nUsers, nItems, kernel.alloc);
  for (let k = 0; k < n; k++) {
    // Few users and items, so rows repeat within the batch; sample 5 has pos = neg.
    b.user[k] = rng.int(8);
    b.pos[k] = rng.int(10);
    b.neg[k] = k === 5 ? b.pos[k]! : rng.int(nItems);
    b.weight[k] = 0.25 + rng.next();
  }
  b.index(n);
  return { kernel, w, b };
}

function gradients(setting: BprKernelSetting) {
  const { kernel, w, b } = setup(setting);
  const loss = kernel.gradients(b, w, l2);
  return {
    loss,
    rows: [b.userRows.slice(0, b.nUserRows), b.itemRows.slice(0, b.nItemRows)],
    gUser: b.gUser.slice(0, b.nUserRows * shape.dim),
    gItem: b.gItem.slice(0, b.nItemRows * shape.dim),
    gBias: b.gBias.slice(0, b.nItemRows),
  };
}

function expectClose(a: Float32Array, b: Float32Array, tol: number) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
  expect(worst).toBeLessThan(tol);
}

describe('BPR-MF batch kernels', () => {
  it('simd, typed and tfjs give the same loss and per-row gradient sums', async () => {
    await initBackend();
    const typed = gradients('typed');
    expect(typed.rows[0]!.length).toBeLessThan(60); // rows did repeat
    for (const other of [gradients('simd'), gradients('tfjs')]) {
      expect(other.rows).toEqual(typed.rows);
      expect(other.loss).toBeCloseTo(typed.loss, 5);
      expectClose(other.gUser, typed.gUser, 1e-6);
      expectClose(other.gItem, typed.gItem, 1e-6);
      expectClose(other.gBias, typed.gBias, 1e-6);
    }
  });

  it('the typed gradients match central finite differences of the loss', () => {
    const { kernel, w, b } = setup('typed');
    kernel.gradients(b, w, l2);
    const g = { gUser: b.gUser.slice(), gItem: b.gItem.slice(), gBias: b.gBias.slice() };
    const lossAt = () => kernel.gradients(b, w, l2);
    const h = 1e-3;
    // A parameter moved by +-h: (loss+ - loss-) / 2h against the analytic sum for its row.
    const check = (table: Float32Array, index: number, analytic: number) => {
      const v = table[index]!;
      table[index] = v + h;
      const up = lossAt();
      table[index] = v - h;
      const down = lossAt();
      table[index] = v;
      expect((up - down) / (2 * h)).toBeCloseTo(analytic, 3);
    };
    const { dim } = shape;
    for (const [slot, f] of [
      [0, 0],
      [1, 3],
      [2, 7],
    ] as const) {
      check(w.users, b.userRows[slot]! * dim + f, g.gUser[slot * dim + f]!);
      check(w.items, b.itemRows[slot]! * dim + f, g.gItem[slot * dim + f]!);
      check(w.itemBias, b.itemRows[slot]!, g.gBias[slot]!);
    }
  });

  it("simd's lazy Adam rows match the JS optimizer", () => {
    const runs = (['simd', 'typed'] as const).map((setting) => {
      const { kernel, w, b } = setup(setting);
      const adam = new LazyAdam(0.01);
      const mo = { m: kernel.alloc.floats(w.items.length), v: kernel.alloc.floats(w.items.length) };
      for (let step = 0; step < 3; step++) {
        kernel.gradients(b, w, l2);
        const rate = adam.begin();
        kernel.adam(adam, mo, w.items, b.itemRows, b.nItemRows, b.gItem, shape.dim, rate);
      }
      return { items: w.items.slice(), m: mo.m.slice(), v: mo.v.slice() };
    });
    expectClose(runs[0]!.items, runs[1]!.items, 1e-5);
    expectClose(runs[0]!.m, runs[1]!.m, 1e-6);
    expectClose(runs[0]!.v, runs[1]!.v, 1e-7);
    expect(runs[0]!.items).not.toEqual(setup('simd').w.items); // the step moved them
  });

  it('sgd: one sample steps each of its rows by -lr x its gradient (bias unregularised)', () => {
    const lr = 0.1;
    for (const setting of ['typed', 'simd'] as const) {
      const { kernel, w, b } = setup(setting, 1, 'sgd');
      kernel.gradients(b, w, l2); // the gradient of this one sample's loss, per row
      const before = { users: w.users.slice(), items: w.items.slice(), bias: w.itemBias.slice() };
      kernel.sgd(b, w, lr, l2);
      const { dim } = shape;
      const [u, i, j] = [b.user[0]!, b.pos[0]!, b.neg[0]!];
      expect(i).not.toBe(j);
      for (let f = 0; f < dim; f++) {
        const step = (after: Float32Array, was: Float32Array, row: number) =>
          after[row * dim + f]! - was[row * dim + f]!;
        expect(step(w.users, before.users, u)).toBeCloseTo(-lr * b.gUser[f]!, 6);
        expect(step(w.items, before.items, i)).toBeCloseTo(-lr * b.gItem[f]!, 6);
        expect(step(w.items, before.items, j)).toBeCloseTo(-lr * b.gItem[dim + f]!, 6);
      }
      expect(w.itemBias[i]! - before.bias[i]!).toBeCloseTo(-lr * b.gBias[0]!, 6);
      expect(w.itemBias[j]! - before.bias[j]!).toBeCloseTo(-lr * b.gBias[1]!, 6);
    }
  });

  it('sgd: samples step in order, each scored after the previous one moved its rows', () => {
    const run = (setting: BprKernelSetting, split: boolean) => {
      const { kernel, w, b } = setup(setting, 60, 'sgd');
      if (!split) return { loss: kernel.sgd(b, w, 0.05, l2), w };
      // The same 60 samples as two batches of 30: identical when each sample sees the last.
      const cols = [b.user, b.pos, b.neg, b.weight] as const;
      const copies = cols.map((c) => c.slice(30, 60));
      b.n = 30;
      const first = kernel.sgd(b, w, 0.05, l2);
      cols.forEach((c, k) => (c as Float32Array).set(copies[k] as Float32Array));
      const second = kernel.sgd(b, w, 0.05, l2);
      return { loss: (first + second) / 2, w };
    };
    const typed = run('typed', false);
    const halves = run('typed', true);
    expect(halves.w.users).toEqual(typed.w.users);
    expect(halves.w.items).toEqual(typed.w.items);
    expect(halves.loss).toBeCloseTo(typed.loss, 6);
    const simd = run('simd', false);
    expectClose(simd.w.users, typed.w.users, 1e-5);
    expectClose(simd.w.items, typed.w.items, 1e-5);
    expectClose(simd.w.itemBias, typed.w.itemBias, 1e-6);
    expect(simd.loss).toBeCloseTo(typed.loss, 5);
    // A batch step (all samples scored first) would differ: rows repeat in this batch.
    const { kernel, w, b } = setup('typed', 60, 'sgd');
    const start = w.users.slice();
    kernel.gradients(b, w, l2);
    const batchStep = start.map((v, k) => {
      const slot = b.userRows.subarray(0, b.nUserRows).indexOf(Math.floor(k / shape.dim));
      return slot < 0 ? v : v - 0.05 * 60 * b.gUser[slot * shape.dim + (k % shape.dim)]!;
    });
    expect(() => expectClose(typed.w.users, batchStep, 1e-3)).toThrow();
  });

  it('sgd: the wasm loop is the float32 arithmetic of a step-by-step reference, but for exp and log1p', () => {
    // x spans ordinary values, then |x| > 30 and beyond exp's range (rows scaled up).
    for (const scale of [1, 4, 40]) {
      const simd = setup('simd', 60, 'sgd');
      const ref = setup('simd', 60, 'sgd');
      for (const { w } of [simd, ref]) {
        for (const a of [w.users, w.items]) for (let k = 0; k < a.length; k++) a[k]! *= scale;
      }
      const loss = simd.kernel.sgd(simd.b, simd.w, 0.05, l2);
      const expected = referenceSgd(ref.b, ref.w, 0.05, l2);
      expect(Number.isFinite(loss)).toBe(true);
      expect(Math.abs(loss - expected)).toBeLessThan(1e-9 * Math.max(1, Math.abs(expected)));
      // A step's size a is rounded to float32: an exp a few 1e-11 off seldom moves it.
      const rel = scale * 1e-6;
      expectClose(simd.w.users, ref.w.users, rel);
      expectClose(simd.w.items, ref.w.items, rel);
      expectClose(simd.w.itemBias, ref.w.itemBias, 1e-6);
    }
  });

  it('auto picks simd, typed or tfjs by backend and shape; simd refuses what it cannot run', () => {
    const pick = (backend: string, dim: number, setting: BprKernelSetting = 'auto') =>
      createBprKernel(setting, backend, { ...shape, dim }).name;
    expect(pick('wasm', 8)).toBe('simd');
    expect(pick('cpu', 64)).toBe('simd');
    expect(pick('wasm', 6)).toBe('typed');
    expect(pick('tensorflow', 8)).toBe('tfjs');
    expect(pick('tensorflow', 8, 'simd')).toBe('simd');
    expect(() => pick('wasm', 6, 'simd')).toThrow(
      'model.kernel simd: needs WebAssembly SIMD, factors divisible by 4 (got 6)',
    );
    // Per-sample SGD is no tensor work: simd (else typed) on every backend, never tfjs.
    const sgd = (backend: string, dim: number, setting: BprKernelSetting = 'auto') =>
      createBprKernel(setting, backend, { ...shape, dim, optimizer: 'sgd' }).name;
    expect(sgd('tensorflow', 8)).toBe('simd');
    expect(sgd('tensorflow', 6)).toBe('typed');
    expect(() => sgd('wasm', 8, 'tfjs')).toThrow('model.optimizer sgd: runs on the simd or typed');
  });
});

const f32 = Math.fround;

/**
 * Plain SGD as the simd kernel computes it, in JS: the dot products lane by lane in float32
 * (lane k sums the factors f = k mod 4), the scalar part in float64 with Math.exp and
 * Math.log1p, the row updates in float32. Returns the mean loss as scored before each step.
 */
function referenceSgd(b: BprBatch, w: BprMfWeights, lr: number, l2: number): number {
  const { dim } = w;
  const d = f32(1 - 2 * lr * l2);
  let reg = 0;
  let logLik = 0;
  for (let q = 0; q < b.n; q++) {
    const [ou, i, j] = [b.user[q]! * dim, b.pos[q]!, b.neg[q]!];
    const [oi, oj] = [i * dim, j * dim];
    const acc = [0, 0, 0, 0];
    const accSq = [0, 0, 0, 0];
    for (let f = 0; f < dim; f++) {
      const [u, vi, vj] = [w.users[ou + f]!, w.items[oi + f]!, w.items[oj + f]!];
      const lane = f % 4;
      acc[lane] = f32(acc[lane]! + f32(u * f32(vi - vj)));
      accSq[lane] = f32(f32(f32(accSq[lane]! + f32(u * u)) + f32(vi * vi)) + f32(vj * vj));
    }
    const lanes = (v: number[]) => f32(f32(f32(v[0]! + v[1]!) + v[2]!) + v[3]!);
    const x = lanes(acc) + w.itemBias[i]! - w.itemBias[j]!;
    reg += lanes(accSq);
    const wq = b.weight[q]!;
    const e = Math.exp(x);
    logLik += wq * (x >= 0 ? -Math.log1p(1 / e) : x - Math.log1p(e));
    const a = (lr * wq) / (1 + e);
    w.itemBias[i] = w.itemBias[i]! + a;
    w.itemBias[j] = w.itemBias[j]! - a;
    const af = f32(a);
    for (let f = 0; f < dim; f++) {
      const [u, vi, vj] = [w.users[ou + f]!, w.items[oi + f]!, w.items[oj + f]!];
      w.users[ou + f] = f32(f32(d * u) + f32(af * f32(vi - vj)));
      w.items[oi + f] = f32(f32(d * vi) + f32(af * u));
      // Read before the positive's store: with pos = neg the negative's value is stored last.
      w.items[oj + f] = f32(f32(d * vj) - f32(af * u));
    }
  }
  return (l2 * reg - logLik) / b.n;
}
