/**
 * A WebAssembly SIMD kernel for dense user x item dot products, assembled in memory at run
 * time (no toolchain, no binary blob in the repo). Scalar JS reaches about 1 GFLOP/s here;
 * f32x4 lanes with a register block of users x items are several times faster, which is what
 * makes full-ranking evaluation of 10K x 10K with a 64-factor model fit in seconds.
 *
 * Layout inside the module's memory:
 * - item panels: items padded to a multiple of the panel width W = 4 * vectors per block;
 *   panel p holds, for each factor f, the W values Q[W p .. W p + W - 1][f] contiguously, so
 *   one factor step of a panel reads aligned v128s with constant offsets;
 * - user rows: up to a chunk of users' factor rows, row-major, in groups of `ub`;
 * - output: one row of `paddedItems` floats per user.
 *
 * Accumulation is in float32 (like tfjs and BLAS sgemm), not float64 as in scalar JS.
 */

import {
  Code,
  I32,
  MAX_BYTES,
  V128,
  instantiate,
  localRun,
  moduleBytes,
  namedLocals,
  newMemory,
  simd,
  wasmValidates,
} from '../compute/wasm-writer.ts';
import type { WasmMemory } from '../compute/wasm-writer.ts';

// Users per kernel call: bounds the output area of the wasm memory.
const CHUNK_USERS = 64;
/** Register block of the kernel: users per step. */
export const USERS_PER_BLOCK = 2;
/** Register block of the kernel: f32x4 vectors (4 items each) per step. */
export const VECTORS_PER_BLOCK = 4;

/** Bytes of wasm memory a kernel for this catalog needs (item panels + one user chunk). */
export function wasmDotBytes(nItems: number, dim: number): number {
  const padded = Math.ceil(nItems / (4 * VECTORS_PER_BLOCK)) * 4 * VECTORS_PER_BLOCK;
  const rows = Math.ceil(CHUNK_USERS / USERS_PER_BLOCK) * USERS_PER_BLOCK;
  return padded * dim * 4 + rows * dim * 4 + rows * padded * 4;
}

/** True when this runtime can compile WebAssembly SIMD. */
export function wasmSimdAvailable(): boolean {
  return wasmValidates(() => assembleKernel(4, 16));
}

/**
 * Dot products of gathered user rows against every item, on the SIMD kernel.
 * Build once per model (packs the item factors); `score` is then called per batch.
 * `ub` and `vb` (the register block) are tuning knobs for benchmarks; keep the defaults.
 */
export class WasmDotKernel {
  readonly paddedItems: number;
  private readonly width: number;
  private readonly memory: WasmMemory;
  private readonly run: (
    qp: number,
    pb: number,
    out: number,
    groups: number,
    panels: number,
  ) => void;
  private readonly pbOffset: number;
  private readonly outOffset: number;

  constructor(
    itemFactors: Float32Array,
    readonly nItems: number,
    readonly dim: number,
    private readonly ub: number = USERS_PER_BLOCK,
    vb: number = VECTORS_PER_BLOCK,
  ) {
    const width = 4 * vb;
    this.width = width;
    this.paddedItems = Math.ceil(nItems / width) * width;
    const panelBytes = this.paddedItems * dim * 4;
    // Room for whole user groups: a partial last group still computes `ub` rows.
    const rows = Math.ceil(CHUNK_USERS / ub) * ub;
    this.pbOffset = panelBytes;
    this.outOffset = panelBytes + rows * dim * 4;
    const total = this.outOffset + rows * this.paddedItems * 4;
    if (total > MAX_BYTES) {
      throw new RangeError(`${nItems} items x ${dim} factors need ${total} bytes, over 2 GiB`);
    }
    this.memory = newMemory(total);
    const exports = instantiate(assembleKernel(dim, this.paddedItems, ub, vb), this.memory);
    this.run = exports.score as typeof this.run;

    // Pack item factors into panels of `width` items (padding items stay zero).
    const mem = new Float32Array(this.memory.buffer);
    for (let i = 0; i < nItems; i++) {
      const p = Math.floor(i / width);
      const base = p * width * dim + (i - p * width);
      for (let f = 0; f < dim; f++) mem[base + f * width] = itemFactors[i * dim + f]!;
    }
  }

  /**
   * Writes `<P_u, Q_i>` for every user of `userIds` and every item to `out`
   * (row-major, `nItems` per row).
   */
  score(userFactors: Float32Array, userIds: Int32Array, out: Float32Array): void {
    const { dim, nItems, paddedItems, ub } = this;
    const mem = new Float32Array(this.memory.buffer);
    const pb = this.pbOffset / 4;
    const ob = this.outOffset / 4;
    const panels = paddedItems / this.width;
    for (let start = 0; start < userIds.length; start += CHUNK_USERS) {
      const n = Math.min(CHUNK_USERS, userIds.length - start);
      for (let r = 0; r < n; r++) {
        const u = userIds[start + r]!;
        mem.set(userFactors.subarray(u * dim, (u + 1) * dim), pb + r * dim);
      }
      // A partial last group computes extra rows from zeroed users; they are never copied.
      const groups = Math.ceil(n / ub);
      mem.fill(0, pb + n * dim, pb + groups * ub * dim);
      this.run(0, this.pbOffset, this.outOffset, groups, panels);
      for (let r = 0; r < n; r++) {
        const src = ob + r * paddedItems;
        out.set(mem.subarray(src, src + nItems), (start + r) * nItems);
      }
    }
  }
}

/**
 * Assembles `score(qp, pb, out, groups, panels)`: for each item panel and each group of `ub`
 * users, `ub * vb` f32x4 accumulators over the `dim` factor steps, in factor order. The
 * factor steps are a loop with moving pointers, not unrolled code: V8 keeps a short loop's
 * accumulators in registers, where thousands of unrolled steps spilled them (about 2.5x
 * slower here). `dim`, `paddedItems` and the block shape are baked in as constants.
 */
export function assembleKernel(
  dim: number,
  paddedItems: number,
  ub: number = USERS_PER_BLOCK,
  vb: number = VECTORS_PER_BLOCK,
): Uint8Array {
  const f = namedLocals(
    { qp: I32, pb: I32, out: I32, groups: I32, panels: I32 },
    {
      // Loop counters, the current panel's and group's addresses, the factor step's pointers.
      group: I32,
      panel: I32,
      groupRows: I32,
      panelAt: I32,
      groupOut: I32,
      panelOut: I32,
      factor: I32,
      userFactor: I32,
      itemFactors: I32,
      factors: I32,
      // The ub x vb accumulators, then one factor step's user splats and item vectors.
      ...localRun('acc', ub * vb, V128),
      ...localRun('user', ub, V128),
      ...localRun('item', vb, V128),
    },
  );
  const l = f.index;
  const acc = (u: number, j: number) => l.acc0 + u * vb + j;
  const width = 4 * vb;
  const c = new Code();
  const rowBytes = paddedItems * 4;

  // Panels outside, user groups inside: one panel (dim * W * 4 bytes) stays in L1 while every
  // group of the chunk reads it, so the item factors stream from memory once per chunk.
  c.i32(dim).set(l.factors);
  c.get(l.qp).set(l.panelAt).get(l.out).set(l.panelOut).i32(0).set(l.panel);
  c.loopUntil(l.panel, l.panels, () => {
    c.get(l.pb).set(l.groupRows).get(l.panelOut).set(l.groupOut).i32(0).set(l.group);
    c.loopUntil(l.group, l.groups, () => {
      for (let a = 0; a < ub * vb; a++) c.zeroV128(l.acc0 + a);
      c.get(l.groupRows).set(l.userFactor).get(l.panelAt).set(l.itemFactors).i32(0).set(l.factor);
      c.loopUntil(l.factor, l.factors, () => {
        for (let u = 0; u < ub; u++)
          c.get(l.userFactor)
            .simd(simd.load32Splat)
            .mem(2, u * dim * 4)
            .set(l.user0 + u);
        for (let j = 0; j < vb; j++)
          c.get(l.itemFactors)
            .simd(simd.load)
            .mem(4, j * 16)
            .set(l.item0 + j);
        for (let u = 0; u < ub; u++)
          for (let j = 0; j < vb; j++)
            c.get(acc(u, j))
              .get(l.user0 + u)
              .get(l.item0 + j)
              .simd(simd.f32x4Mul)
              .simd(simd.f32x4Add)
              .set(acc(u, j));
        c.addTo(l.userFactor, 4)
          .addTo(l.itemFactors, width * 4)
          .addTo(l.factor, 1);
      });
      for (let u = 0; u < ub; u++)
        for (let j = 0; j < vb; j++)
          c.get(l.groupOut)
            .get(acc(u, j))
            .simd(simd.store)
            .mem(4, u * rowBytes + j * 16);
      c.addTo(l.groupRows, ub * dim * 4)
        .addTo(l.groupOut, ub * rowBytes)
        .addTo(l.group, 1);
    });
    c.addTo(l.panelAt, dim * width * 4)
      .addTo(l.panelOut, width * 4)
      .addTo(l.panel, 1);
  });

  return moduleBytes([{ name: 'score', params: f.params, locals: f.locals, code: c }]);
}
