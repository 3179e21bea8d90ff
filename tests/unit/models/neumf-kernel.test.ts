import { describe, expect, it } from 'vitest';
import { WasmArena, arenaBytes } from '../../../lib/compute/arena.ts';
import { initBackend } from '../../../lib/compute/backend.ts';
import { Rng } from '../../../lib/training/random.ts';
import { sumRows } from '../../../lib/training/adam.ts';
import { EMBEDDINGS, initNeuMf, tableShapes } from '../../../lib/models/neumf/neumf-weights.ts';
import type { NeuMfWeights } from '../../../lib/models/neumf/neumf-weights.ts';
import { NeuMfSimdKernel, neumfSimdAvailable } from '../../../lib/models/neumf/neumf-kernel.ts';
import { neumfBatchGrads, pickNeuMfKernel } from '../../../lib/models/neumf/neumf-train.ts';
import type { NeuMfBatch } from '../../../lib/models/neumf/neumf-train.ts';

/** Per sample, the share of units of each hidden layer that are on (plain loops). */
function activeShare(w: NeuMfWeights, b: NeuMfBatch): number[] {
  const f = w.factors;
  const t = w.tables;
  const on = w.layers.map(() => 0);
  for (let k = 0; k < b.n; k++) {
    let z = [
      ...t.userMlp!.subarray(b.user[k]! * f, b.user[k]! * f + f),
      ...t.itemMlp!.subarray(b.item[k]! * f, b.item[k]! * f + f),
    ];
    w.layers.forEach((size, l) => {
      const W = t[`w${l + 1}`]!;
      z = Array.from({ length: size }, (_, o) =>
        Math.max(
          0,
          z.reduce((s, v, j) => s + v * W[j * size + o]!, t[`b${l + 1}`]![o]!),
        ),
      );
      on[l]! += z.filter((v) => v > 0).length / size;
    });
  }
  return on.map((s) => s / b.n);
}

describe('NeuMF simd kernel', () => {
  const shape = { nUsers: 6, nItems: 9, factors: 8, layers: [12, 8] };
  const B = 16;

  /** Weights in an arena with the kernel, random enough that every term and mask matters. */
  function setup(seed: number) {
    const bytes = arenaBytes([
      ...tableShapes(shape).map(([, r, c]) => r * c),
      ...NeuMfSimdKernel.sizes(shape, B),
    ]);
    const arena = new WasmArena(bytes);
    const rng = new Rng(seed);
    const w = initNeuMf(shape, () => rng.normal(), arena);
    for (const t of EMBEDDINGS) w.tables[t]!.forEach((_, k, a) => (a[k] = 0.5 * rng.normal()));
    for (const t of ['b1', 'b2', 'h0'])
      w.tables[t]!.forEach((_, k, a) => (a[k] = 0.2 * rng.normal()));
    return { w, kernel: new NeuMfSimdKernel(arena, shape, B) };
  }

  // An odd count (a partial register block), repeated users and items.
  const batch: NeuMfBatch = {
    n: 13,
    user: Int32Array.of(0, 1, 2, 3, 4, 5, 0, 1, 2, 0, 5, 5, 3),
    item: Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 0, 3),
    target: Float32Array.of(1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1),
    weight: Float32Array.of(1, 0.5, 1, 2, 1, 0.25, 1, 1, 0.3, 1, 2, 1, 1),
  };

  it('gives the tfjs path loss and gradients (to float32 rounding)', async () => {
    await initBackend();
    expect(neumfSimdAvailable(shape.factors, shape.layers)).toBe(true);
    const { w, kernel } = setup(3);
    // Both ReLU layers have units on and off, so a dropped mask would change the gradients.
    for (const share of activeShare(w, batch)) {
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.8);
    }
    const l2 = 0.01;
    const ref = neumfBatchGrads(w, batch, l2);
    kernel.user.set(batch.user);
    kernel.item.set(batch.item);
    const loss = kernel.grads(w, batch.n, batch.target, batch.weight, l2);
    expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5 * Math.abs(ref.loss));
    const close = (got: Float32Array, want: Float32Array, what: string) => {
      expect(got.length, what).toBe(want.length);
      const scale = Math.max(...want.map(Math.abs));
      expect(scale, `${what} is all zero`).toBeGreaterThan(0);
      for (let k = 0; k < want.length; k++)
        expect(Math.abs(got[k]! - want[k]!), `${what}[${k}]`).toBeLessThan(1e-5 * scale);
    };
    for (const [name] of tableShapes(shape).filter(([n]) => !EMBEDDINGS.includes(n as never)))
      close(kernel.dense[name]!, ref.grads[name]!, name);
    const f = shape.factors;
    for (const name of EMBEDDINGS) {
      const ids = name.startsWith('user') ? batch.user : batch.item;
      const nRows = name.startsWith('user') ? shape.nUsers : shape.nItems;
      const rows = new Int32Array(B);
      const sum = new Float32Array(B * f);
      const count = sumRows(
        ids,
        ref.grads[name]!,
        batch.n,
        f,
        new Int32Array(nRows).fill(-1),
        rows,
        sum,
      );
      const got = kernel.rowSums[name];
      expect(got.count, name).toBe(count);
      expect(got.rows.subarray(0, count), name).toEqual(rows.subarray(0, count));
      close(got.sum.subarray(0, count * f), sum.subarray(0, count * f), name);
    }
  });

  it('gives the same bits for the same batch, whatever ran before', async () => {
    await initBackend();
    const { w, kernel } = setup(4);
    const run = (n: number) => {
      kernel.user.set(batch.user);
      kernel.item.set(batch.item);
      const loss = kernel.grads(w, n, batch.target, batch.weight, 0.01);
      return { loss, w1: kernel.dense.w1!.slice(), um: kernel.rowSums.userMlp.sum.slice() };
    };
    const first = run(batch.n);
    run(6);
    expect(run(batch.n)).toEqual(first);
  });

  it('is chosen by model.kernel: auto means simd on wasm and cpu when sizes fit', () => {
    expect(pickNeuMfKernel('auto', 'wasm', { factors: 64, layers: [64, 32] })).toBe('simd');
    expect(pickNeuMfKernel('auto', 'tensorflow', { factors: 64, layers: [64, 32] })).toBe('tfjs');
    expect(pickNeuMfKernel('auto', 'wasm', { factors: 6, layers: [64, 32] })).toBe('tfjs');
    expect(pickNeuMfKernel('tfjs', 'wasm', { factors: 64, layers: [64] })).toBe('tfjs');
    expect(() => pickNeuMfKernel('simd', 'wasm', { factors: 64, layers: [10] })).toThrow(
      /divisible by 4/,
    );
    expect(() => pickNeuMfKernel('typed', 'wasm', { factors: 64, layers: [64] })).toThrow(
      /no typed kernel/,
    );
  });
});
