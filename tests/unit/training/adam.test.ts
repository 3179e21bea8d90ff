import { describe, expect, it } from 'vitest';
import { WasmArena } from '../../../lib/compute/arena.ts';
import { instantiate, moduleBytes } from '../../../lib/compute/wasm-writer.ts';
import { LazyAdam, sumRows } from '../../../lib/training/adam.ts';
import type { Moments } from '../../../lib/training/adam.ts';
import { adamDenseFunction, adamRowsFunction } from '../../../lib/training/adam-simd-f64.ts';
import type { AdamDense, AdamRows } from '../../../lib/training/adam-simd-f64.ts';
import { SimdAdam, simdAdamAvailable } from '../../../lib/training/adam-simd.ts';
import { Rng } from '../../../lib/training/random.ts';

/**
 * One Adam, three implementations: the JS reference (LazyAdam.apply), the f64x2 kernel that
 * must match it bit for bit, and the f32x4 kernel that must match it to float32 precision.
 * Each runs the same steps from the same tables and gradients.
 */
interface Case {
  arena: WasmArena;
  param: Float32Array;
  mo: Moments;
  rows: Int32Array;
  count: number;
  grad: Float32Array;
}

function makeCase(tableRows: number, dim: number, batch: number, seed: number): Case {
  const rng = new Rng(seed);
  const arena = new WasmArena(1 << 20);
  const param = arena.floats(tableRows * dim);
  const mo = { m: arena.floats(tableRows * dim), v: arena.floats(tableRows * dim) };
  for (let k = 0; k < param.length; k++) param[k] = rng.normal() * 0.1;
  // Gradient rows for a batch with repeated rows, summed into distinct rows as training does.
  const index = Int32Array.from({ length: batch }, () => rng.int(tableRows));
  const raw = Float32Array.from({ length: batch * dim }, () => rng.normal());
  const rows = arena.ints(batch);
  const grad = arena.floats(batch * dim);
  const slot = new Int32Array(tableRows).fill(-1);
  const count = sumRows(index, raw, batch, dim, slot, rows, grad);
  return { arena, param, mo, rows, count, grad };
}

const copy = (c: Case) => ({
  param: c.param.slice(),
  mo: { m: c.mo.m.slice(), v: c.mo.v.slice() },
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k]! - b[k]!));
  return d;
}

describe('Adam', () => {
  for (const dim of [4, 7, 16]) {
    it(`the f64x2 kernel repeats the JS reference bit for bit (rows of ${dim})`, () => {
      const c = makeCase(50, dim, 40, dim);
      const e = instantiate(
        moduleBytes([adamRowsFunction(dim), adamDenseFunction()]),
        c.arena.memory,
      );
      const rowsRun = e.adamRows as AdamRows;
      const denseRun = e.adamDense as AdamDense;
      const at = (a: Float32Array | Int32Array) => c.arena.offsetOf(a);
      const js = copy(c);
      const adam = new LazyAdam(0.01);
      const { beta1: b1, beta2: b2, eps } = adam;
      for (let step = 0; step < 3; step++) {
        const rate = adam.begin();
        adam.apply(js.mo, js.param, c.rows, c.count, c.grad, dim, rate);
        const [p, m, v] = [at(c.param), at(c.mo.m), at(c.mo.v)];
        rowsRun(at(c.rows), c.count, p, m, v, at(c.grad), rate, b1, 1 - b1, b2, 1 - b2, eps);
        expect(c.param).toEqual(js.param);
        expect(c.mo.m).toEqual(js.mo.m);
        expect(c.mo.v).toEqual(js.mo.v);
      }
      // The dense form over a whole table of groups of 4 floats.
      const groups = (c.count * dim) >> 2;
      const n = groups * 4;
      const rate = adam.begin();
      const dense = { m: js.mo.m.subarray(0, n), v: js.mo.v.subarray(0, n) };
      adam.apply(dense, js.param.subarray(0, n), Int32Array.of(0), 1, c.grad, n, rate);
      const [p, m, v] = [at(c.param), at(c.mo.m), at(c.mo.v)];
      denseRun(groups, p, m, v, at(c.grad), rate, b1, 1 - b1, b2, 1 - b2, eps);
      expect(c.param).toEqual(js.param);
      expect(c.mo.v).toEqual(js.mo.v);
    });
  }

  it('the f32x4 kernel matches the JS reference to float32 precision', () => {
    const dim = 16;
    expect(simdAdamAvailable(dim)).toBe(true);
    expect(simdAdamAvailable(6)).toBe(false);
    const c = makeCase(50, dim, 40, 3);
    const js = copy(c);
    const simd = new SimdAdam(c.arena, dim);
    const adam = new LazyAdam(0.01);
    for (let step = 0; step < 5; step++) {
      const rate = adam.begin();
      adam.apply(js.mo, js.param, c.rows, c.count, c.grad, dim, rate);
      simd.apply(adam, c.mo, c.param, c.rows, c.count, c.grad, rate);
    }
    expect(maxAbsDiff(c.param, js.param)).toBeLessThan(1e-6);
    expect(maxAbsDiff(c.mo.m, js.mo.m)).toBeLessThan(1e-6);
    expect(maxAbsDiff(c.mo.v, js.mo.v)).toBeLessThan(1e-6);
    // The rows no gradient touched keep their weights and zero moments.
    const touched = new Set(c.rows.subarray(0, c.count));
    const untouched = [...Array(50).keys()].find((r) => !touched.has(r))!;
    expect(c.mo.m.subarray(untouched * dim, (untouched + 1) * dim).every((x) => x === 0)).toBe(
      true,
    );
  });
});
