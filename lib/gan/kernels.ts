/**
 * The CFGAN trainer's JS-side loops as WebAssembly SIMD, assembled at run time with the row
 * widths baked in: row sums (the sparse first layers' gathers and gradient scatters, see
 * sparse-rows.ts) and Adam (lib/training/adam-simd-f64.ts, over listed rows or a whole table). Their arrays
 * live in one wasm memory (a {@link WasmArena}), which the kernels address by byte offset.
 *
 * The results are bit-identical to the JS loops they replace: row sums are float32 adds in
 * the same order (f32x4.add rounds as `Math.fround(a + b)` does), and Adam runs in float64
 * (f64x2, two floats at a time) with the same operations in the same order as
 * LazyAdam.apply, storing each moment and parameter rounded to float32 as a Float32Array
 * store does. So a run may switch between them (e.g. resume without SIMD) and repeat itself.
 */
import type { WasmArena } from '../compute/arena.ts';
import {
  Code,
  I32,
  V128,
  instantiate,
  moduleBytes,
  namedLocals,
  op,
  simd,
  wasmValidates,
} from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';
import type { LazyAdam, Moments } from '../training/adam.ts';
import { adamDenseFunction, adamRowsFunction } from '../training/adam-simd-f64.ts';
import type { AdamDense, AdamRows } from '../training/adam-simd-f64.ts';

const ONE = Int32Array.of(0);

type AddRows = (pairs: number, count: number) => void;
/** True when this runtime compiles the kernels. */
export function ganSimdAvailable(): boolean {
  return wasmValidates(() =>
    moduleBytes([
      addRowsFunction(5),
      adamRowsFunction(5),
      adamDenseFunction(),
      transposeFunction(5, 7),
    ]),
  );
}

/** The transpose of (rows x cols) matrices, for arrays in one arena. */
export class TransposeKernel {
  private readonly run: (a: number, out: number) => void;

  constructor(
    private readonly arena: WasmArena,
    readonly rows: number,
    readonly cols: number,
  ) {
    const e = instantiate(moduleBytes([transposeFunction(rows, cols)], arena.shared), arena.memory);
    this.run = e.transpose as (a: number, out: number) => void;
  }

  /** `out[c * rows + r] = a[r * cols + c]`. */
  apply(a: Float32Array, out: Float32Array): void {
    const { rows, cols } = this;
    this.run(this.arena.offsetOf(a), this.arena.offsetOf(out));
    // The kernel moves 4 x 4 blocks; the last rows % 4 rows and cols % 4 columns are here.
    const r4 = rows & ~3;
    const c4 = cols & ~3;
    for (let r = 0; r < rows; r++)
      for (let c = r < r4 ? c4 : 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  }
}

/** The kernels for rows of `dim` floats, bound to one arena. */
export class RowKernels {
  private readonly addRowsRun: AddRows;
  private readonly adamRowsRun: AdamRows;
  private readonly adamDenseRun: AdamDense;

  /** `pairs` (in the arena) holds the (destination, source) addresses of one addRows call. */
  constructor(
    private readonly arena: WasmArena,
    readonly dim: number,
    private readonly pairs: Int32Array,
  ) {
    const e = instantiate(
      moduleBytes([addRowsFunction(dim), adamRowsFunction(dim), adamDenseFunction()], arena.shared),
      arena.memory,
    );
    this.addRowsRun = e.addRows as AddRows;
    this.adamRowsRun = e.adamRows as AdamRows;
    this.adamDenseRun = e.adamDense as AdamDense;
  }

  private at(a: Float32Array | Int32Array): number {
    return this.arena.offsetOf(a);
  }

  /**
   * Queues `row[dst] += row[src]` (byte addresses) at position `k` of the pair buffer,
   * running the queued adds first when it is full; returns the next position.
   */
  private pair(k: number, dst: number, src: number): number {
    if (k === this.pairs.length) k = this.flush(k);
    this.pairs[k] = dst;
    this.pairs[k + 1] = src;
    return k + 2;
  }

  /** Runs the `k / 2` queued adds, in order; returns 0 (the buffer is empty again). */
  private flush(k: number): number {
    if (k > 0) this.addRowsRun(this.at(this.pairs), k >> 1);
    return 0;
  }

  /** gatherSum (sparse-rows.ts) for arrays in the arena. */
  gather(
    table: Float32Array,
    indptr: Int32Array,
    indices: Int32Array,
    users: Int32Array,
    n: number,
    out: Float32Array,
    bias?: Float32Array,
  ): void {
    const dim = this.dim;
    const rowBytes = 4 * dim;
    const t0 = this.at(table);
    const o0 = this.at(out);
    let k = 0;
    for (let r = 0; r < n; r++) {
      const o = r * dim;
      if (bias) out.set(bias, o);
      else out.fill(0, o, o + dim);
      const u = users[r]!;
      const end = indptr[u + 1]!;
      for (let p = indptr[u]!; p < end; p++)
        k = this.pair(k, o0 + o * 4, t0 + indices[p]! * rowBytes);
    }
    this.flush(k);
  }

  /** scatterRows (sparse-rows.ts) for arrays in the arena. */
  scatter(
    indptr: Int32Array,
    indices: Int32Array,
    users: Int32Array,
    n: number,
    grad: Float32Array,
    slot: Int32Array,
    outRows: Int32Array,
    outGrad: Float32Array,
  ): number {
    const dim = this.dim;
    const g0 = this.at(grad);
    const o0 = this.at(outGrad);
    let k = 0;
    let count = 0;
    for (let r = 0; r < n; r++) {
      const u = users[r]!;
      const end = indptr[u + 1]!;
      for (let p = indptr[u]!; p < end; p++) {
        const j = indices[p]!;
        let s = slot[j]!;
        if (s < 0) {
          s = count++;
          slot[j] = s;
          outRows[s] = j;
          outGrad.fill(0, s * dim, (s + 1) * dim);
        }
        k = this.pair(k, o0 + s * dim * 4, g0 + r * dim * 4);
      }
    }
    this.flush(k);
    for (let s = 0; s < count; s++) slot[outRows[s]!] = -1;
    return count;
  }

  /** `table[rows[k]] += src[k]` for k < count (rows of `dim`). */
  addInto(table: Float32Array, rows: Int32Array, count: number, src: Float32Array): void {
    const rowBytes = 4 * this.dim;
    const t0 = this.at(table);
    const s0 = this.at(src);
    let k = 0;
    for (let i = 0; i < count; i++) k = this.pair(k, t0 + rows[i]! * rowBytes, s0 + i * rowBytes);
    this.flush(k);
  }

  /** `adam.apply(mo, param, rows, count, grad, dim, rate)` for arrays in the arena. */
  adamRows(
    adam: LazyAdam,
    mo: Moments,
    param: Float32Array,
    rows: Int32Array,
    count: number,
    grad: Float32Array,
    rate: number,
  ): void {
    if (count === 0) return;
    const { beta1: b1, beta2: b2, eps } = adam;
    const [p, m, v, g] = [this.at(param), this.at(mo.m), this.at(mo.v), this.at(grad)];
    this.adamRowsRun(this.at(rows), count, p, m, v, g, rate, b1, 1 - b1, b2, 1 - b2, eps);
  }

  /** The whole-table update `adam.apply(mo, param, [0], 1, grad, param.length, rate)`. */
  adamDense(adam: LazyAdam, mo: Moments, param: Float32Array, grad: Float32Array, rate: number) {
    const { beta1: b1, beta2: b2, eps } = adam;
    const [p, m, v, g] = [this.at(param), this.at(mo.m), this.at(mo.v), this.at(grad)];
    const groups = param.length >> 2;
    this.adamDenseRun(groups, p, m, v, g, rate, b1, 1 - b1, b2, 1 - b2, eps);
    // The last length % 4 floats, in JS (the same update).
    const k = groups * 4;
    if (k < param.length) {
      const tail = { m: mo.m.subarray(k), v: mo.v.subarray(k) };
      adam.apply(tail, param.subarray(k), ONE, 1, grad.subarray(k), param.length - k, rate);
    }
  }
}

/** The f32 lanes (of a, then 4-7 of b) of an i8x16.shuffle, as its 16 byte indices. */
function lanes(...l: number[]): number[] {
  return l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]);
}

/**
 * transpose(a, out) for a (rows x cols) matrix, over its leading (rows & ~3) x (cols & ~3)
 * part: each 4 x 4 block is four loads, eight shuffles and four stores. Rows go 16 at a
 * time (then 4 at a time), so each output row gets 64 contiguous bytes per visit.
 */
function transposeFunction(rows: number, cols: number): WasmFunction {
  const f = namedLocals(
    { a: I32, out: I32 },
    {
      row: I32,
      col: I32,
      // The current rows' addresses in a and out.
      aAt: I32,
      outAt: I32,
      rowEnd: I32,
      colEnd: I32,
      // A block's four rows (then its four columns), and the shuffles between.
      v0: V128,
      v1: V128,
      v2: V128,
      v3: V128,
      t0: V128,
      t1: V128,
      t2: V128,
      t3: V128,
    },
  );
  const l = f.index;
  const SHUFFLE = 13;
  const rowBytes = 4 * cols;
  const colBytes = 4 * rows;
  const c = new Code();
  const shuffle = (a: number, b: number, lanesOf: number[], into: number) =>
    c
      .get(a)
      .get(b)
      .simd(SHUFFLE)
      .push(...lanes(...lanesOf))
      .set(into);
  const block = [l.v0, l.v1, l.v2, l.v3];
  /** Rows [row, rEnd) in steps of 4 * blocks: each step moves blocks 4 x 4 blocks per column group. */
  const sweep = (rEnd: number, blocks: number) => {
    c.i32(rEnd).set(l.rowEnd);
    c.loopUntil(l.row, l.rowEnd, () => {
      // aAt = a + row * rowBytes; outAt = out + row * 4
      c.get(l.row).i32(rowBytes).push(op.i32Mul).get(l.a).push(op.i32Add).set(l.aAt);
      c.get(l.row).i32(4).push(op.i32Mul).get(l.out).push(op.i32Add).set(l.outAt);
      c.i32(0).set(l.col);
      c.loopUntil(l.col, l.colEnd, () => {
        for (let b = 0; b < blocks; b++) {
          block.forEach((v, i) => c.loadV128(l.aAt, (4 * b + i) * rowBytes, v));
          shuffle(l.v0, l.v1, [0, 4, 1, 5], l.t0);
          shuffle(l.v0, l.v1, [2, 6, 3, 7], l.t1);
          shuffle(l.v2, l.v3, [0, 4, 1, 5], l.t2);
          shuffle(l.v2, l.v3, [2, 6, 3, 7], l.t3);
          shuffle(l.t0, l.t2, [0, 1, 4, 5], l.v0);
          shuffle(l.t0, l.t2, [2, 3, 6, 7], l.v1);
          shuffle(l.t1, l.t3, [0, 1, 4, 5], l.v2);
          shuffle(l.t1, l.t3, [2, 3, 6, 7], l.v3);
          block.forEach((v, i) =>
            c
              .get(l.outAt)
              .get(v)
              .simd(simd.store)
              .mem(4, i * colBytes + 16 * b),
          );
        }
        c.addTo(l.aAt, 16)
          .addTo(l.outAt, 4 * colBytes)
          .addTo(l.col, 4);
      });
      c.addTo(l.row, 4 * blocks);
    });
  };
  c.i32(cols & ~3).set(l.colEnd);
  c.i32(0).set(l.row);
  sweep(rows & ~15, 4);
  sweep(rows & ~3, 1);
  return { name: 'transpose', params: f.params, locals: f.locals, code: c };
}

/** addRows(pairs, count): for each (dst, src) address pair, dim floats dst += src. */
function addRowsFunction(dim: number): WasmFunction {
  const f = namedLocals({ pairs: I32, count: I32 }, { k: I32, dst: I32, src: I32 });
  const l = f.index;
  const c = new Code();
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.count, () => {
    c.get(l.pairs).push(op.i32Load, 2, 0).set(l.dst);
    c.get(l.pairs).push(op.i32Load, 2, 4).set(l.src);
    const vectors = dim >> 2;
    for (let v = 0; v < vectors; v++) {
      const o = 16 * v;
      c.get(l.dst).get(l.dst).simd(simd.load).mem(4, o);
      c.get(l.src).simd(simd.load).mem(4, o);
      c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    }
    for (let k = vectors * 4; k < dim; k++) {
      const o = 4 * k;
      c.get(l.dst).get(l.dst).push(op.f32Load).mem(2, o);
      c.get(l.src).push(op.f32Load).mem(2, o);
      c.push(op.f32Add, op.f32Store).mem(2, o);
    }
    c.addTo(l.pairs, 8).addTo(l.k, 1);
  });
  return { name: 'addRows', params: f.params, locals: f.locals, code: c };
}
