import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../lib/compute/backend.ts';
import { Rng } from '../../../lib/data/random.ts';
import { BprBatch, createBprKernel } from '../../../lib/models/bpr-kernel.ts';
import type { BprKernelSetting } from '../../../lib/models/bpr-kernel.ts';
import type { BprMfWeights } from '../../../lib/models/bpr-mf.ts';
import { LazyAdam } from '../../../lib/models/lazy-adam.ts';

const shape = { nUsers: 30, nItems: 25, dim: 8, maxBatch: 64 };
const l2 = 0.01;

/** A kernel with weights and a batch of `n` samples in its memory, all drawn from seed 1. */
function setup(setting: BprKernelSetting, n = 60) {
  const kernel = createBprKernel(setting, 'wasm', shape);
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
  });
});
