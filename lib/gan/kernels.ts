/**
 * The CFGAN trainer's JS-side loops as WebAssembly SIMD, assembled at run time with the row
 * widths baked in: row sums (the sparse first layers' gathers and gradient scatters, see
 * sparse-rows.ts) and Adam (LazyAdam.apply, over listed rows or a whole table). Their arrays
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
  F64,
  I32,
  V128,
  instantiate,
  moduleBytes,
  op,
  simd,
  wasmValidates,
} from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';
import type { LazyAdam, Moments } from '../models/lazy-adam.ts';

const ONE = Int32Array.of(0);

type AddRows = (pairs: number, count: number) => void;
type AdamParams = [rate: number, b1: number, c1: number, b2: number, c2: number, eps: number];
type AdamRows = (
  rows: number,
  count: number,
  param: number,
  m: number,
  v: number,
  grad: number,
  ...p: AdamParams
) => void;
type AdamDense = (
  groups: number,
  param: number,
  m: number,
  v: number,
  grad: number,
  ...p: AdamParams
) => void;

/** True when this runtime compiles the kernels. */
export function ganSimdAvailable(): boolean {
  return wasmValidates(() =>
    moduleBytes([addRowsFunction(5), adamRowsFunction(5), adamDense(), transposeFunction(5, 7)]),
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
    const e = instantiate(moduleBytes([transposeFunction(rows, cols)]), arena.memory);
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
      moduleBytes([addRowsFunction(dim), adamRowsFunction(dim), adamDense()]),
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
  const [A, OUT, R, C, PA, PO, REND, C4] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [V0, V1, V2, V3, T0, T1, T2, T3] = [8, 9, 10, 11, 12, 13, 14, 15];
  const SHUFFLE = 13;
  const rowBytes = 4 * cols;
  const colBytes = 4 * rows;
  const c = new Code();
  const shuffle = (a: number, b: number, l: number[], into: number) =>
    c
      .get(a)
      .get(b)
      .simd(SHUFFLE)
      .push(...lanes(...l))
      .set(into);
  /** Rows [R, rEnd) in steps of 4 * blocks: each step moves blocks 4 x 4 blocks per column group. */
  const sweep = (rEnd: number, blocks: number) => {
    c.i32(rEnd).set(REND);
    c.loopUntil(R, REND, () => {
      // PA = a + R * rowBytes; PO = out + R * 4
      c.get(R).i32(rowBytes).push(op.i32Mul).get(A).push(op.i32Add).set(PA);
      c.get(R).i32(4).push(op.i32Mul).get(OUT).push(op.i32Add).set(PO);
      c.i32(0).set(C);
      c.loopUntil(C, C4, () => {
        for (let b = 0; b < blocks; b++) {
          [V0, V1, V2, V3].forEach((v, i) => c.loadV128(PA, (4 * b + i) * rowBytes, v));
          shuffle(V0, V1, [0, 4, 1, 5], T0);
          shuffle(V0, V1, [2, 6, 3, 7], T1);
          shuffle(V2, V3, [0, 4, 1, 5], T2);
          shuffle(V2, V3, [2, 6, 3, 7], T3);
          shuffle(T0, T2, [0, 1, 4, 5], V0);
          shuffle(T0, T2, [2, 3, 6, 7], V1);
          shuffle(T1, T3, [0, 1, 4, 5], V2);
          shuffle(T1, T3, [2, 3, 6, 7], V3);
          [V0, V1, V2, V3].forEach((v, i) =>
            c
              .get(PO)
              .get(v)
              .simd(simd.store)
              .mem(4, i * colBytes + 16 * b),
          );
        }
        c.addTo(PA, 16)
          .addTo(PO, 4 * colBytes)
          .addTo(C, 4);
      });
      c.addTo(R, 4 * blocks);
    });
  };
  c.i32(cols & ~3).set(C4);
  c.i32(0).set(R);
  sweep(rows & ~15, 4);
  sweep(rows & ~3, 1);
  return {
    name: 'transpose',
    params: [I32, I32],
    locals: [
      [6, I32],
      [8, V128],
    ],
    code: c,
  };
}

/** addRows(pairs, count): for each (dst, src) address pair, dim floats dst += src. */
function addRowsFunction(dim: number): WasmFunction {
  const [PAIRS, COUNT, K, DA, SA] = [0, 1, 2, 3, 4];
  const c = new Code();
  c.i32(0).set(K);
  c.loopUntil(K, COUNT, () => {
    c.get(PAIRS).push(op.i32Load, 2, 0).set(DA);
    c.get(PAIRS).push(op.i32Load, 2, 4).set(SA);
    const vectors = dim >> 2;
    for (let f = 0; f < vectors; f++) {
      const o = 16 * f;
      c.get(DA).get(DA).simd(simd.load).mem(4, o);
      c.get(SA).simd(simd.load).mem(4, o);
      c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    }
    for (let f = vectors * 4; f < dim; f++) {
      const o = 4 * f;
      c.get(DA).get(DA).push(op.f32Load).mem(2, o);
      c.get(SA).push(op.f32Load).mem(2, o);
      c.push(op.f32Add, op.f32Store).mem(2, o);
    }
    c.addTo(PAIRS, 8).addTo(K, 1);
  });
  return { name: 'addRows', params: [I32, I32], locals: [[3, I32]], code: c };
}

// Locals shared by the Adam functions: the f64 parameters, then their f64x2 splats and temps.
interface AdamLocals {
  pp: number;
  pm: number;
  pv: number;
  pg: number;
  scalars: { rate: number; b1: number; c1: number; b2: number; c2: number; eps: number };
  vec: { rate: number; b1: number; c1: number; b2: number; c2: number; eps: number };
  g: number;
  mi: number;
  vi: number;
  sg: number;
  smi: number;
  svi: number;
}

function splatAll(c: Code, l: AdamLocals): void {
  for (const k of ['rate', 'b1', 'c1', 'b2', 'c2', 'eps'] as const)
    c.get(l.scalars[k]).simd(simd.f64x2Splat).set(l.vec[k]);
}

/** Loads two floats at local `ptr` + `o` as an f64x2. */
function load2(c: Code, ptr: number, o: number): Code {
  return c.get(ptr).simd(simd.load64Splat).mem(3, o).simd(simd.f64x2PromoteLowF32x4);
}

/** Stores the f64x2 on the stack as two floats at local `ptr` + `o` (address pushed first). */
function store2(c: Code, o: number): Code {
  return c.simd(simd.f32x4DemoteF64x2Zero).simd(simd.store64Lane).mem(3, o).push(0);
}

/**
 * Adam on two floats at byte offset `o` from the row pointers, as LazyAdam.apply does it:
 * mi = b1 m + (1 - b1) g; vi = b2 v + (1 - b2) g g; p -= rate mi / (sqrt(vi) + eps).
 */
function adamPair(c: Code, l: AdamLocals, o: number): void {
  const v = l.vec;
  load2(c, l.pg, o).set(l.g);
  c.get(l.pm);
  c.get(v.b1);
  load2(c, l.pm, o).simd(simd.f64x2Mul);
  c.get(v.c1).get(l.g).simd(simd.f64x2Mul).simd(simd.f64x2Add).tee(l.mi);
  store2(c, o);
  c.get(l.pv);
  c.get(v.b2);
  load2(c, l.pv, o).simd(simd.f64x2Mul);
  c.get(v.c2)
    .get(l.g)
    .simd(simd.f64x2Mul)
    .get(l.g)
    .simd(simd.f64x2Mul)
    .simd(simd.f64x2Add)
    .tee(l.vi);
  store2(c, o);
  c.get(l.pp);
  load2(c, l.pp, o);
  c.get(v.rate).get(l.mi).simd(simd.f64x2Mul);
  c.get(l.vi).simd(simd.f64x2Sqrt).get(v.eps).simd(simd.f64x2Add).simd(simd.f64x2Div);
  c.simd(simd.f64x2Sub);
  store2(c, o);
}

/** The same on one float (scalar f64). */
function adamOne(c: Code, l: AdamLocals, o: number): void {
  const s = l.scalars;
  const load = (ptr: number) => c.get(ptr).push(op.f32Load).mem(2, o).push(op.f64PromoteF32);
  const store = () => c.push(op.f32DemoteF64, op.f32Store).mem(2, o);
  load(l.pg).set(l.sg);
  c.get(l.pm).get(s.b1);
  load(l.pm).push(op.f64Mul);
  c.get(s.c1).get(l.sg).push(op.f64Mul, op.f64Add).tee(l.smi);
  store();
  c.get(l.pv).get(s.b2);
  load(l.pv).push(op.f64Mul);
  c.get(s.c2).get(l.sg).push(op.f64Mul).get(l.sg).push(op.f64Mul, op.f64Add).tee(l.svi);
  store();
  c.get(l.pp);
  load(l.pp);
  c.get(s.rate).get(l.smi).push(op.f64Mul);
  c.get(l.svi).push(op.f64Sqrt).get(s.eps).push(op.f64Add, op.f64Div, op.f64Sub);
  store();
}

/** Adam locals: the 6 f64 parameters from `scalars`, their splats from `vectors`, temps after. */
function adamLocals(
  ptrs: [pp: number, pm: number, pv: number, pg: number],
  scalars: number,
  vectors: number,
  f64Temps: number,
): AdamLocals {
  const [pp, pm, pv, pg] = ptrs;
  const names = (b: number) => ({
    rate: b,
    b1: b + 1,
    c1: b + 2,
    b2: b + 3,
    c2: b + 4,
    eps: b + 5,
  });
  const v = vectors;
  const t = f64Temps;
  return {
    pp,
    pm,
    pv,
    pg,
    scalars: names(scalars),
    vec: names(v),
    g: v + 6,
    mi: v + 7,
    vi: v + 8,
    sg: t,
    smi: t + 1,
    svi: t + 2,
  };
}

/**
 * adamRows(rows, count, param, m, v, grad, rate, b1, 1 - b1, b2, 1 - b2, eps): the lazy
 * Adam update of each listed row (of dim floats) from grad row k.
 */
function adamRowsFunction(dim: number): WasmFunction {
  const [ROWS, COUNT, PARAM, M, V, GRAD] = [0, 1, 2, 3, 4, 5];
  // f64 params 6..11; i32 locals 12..15; v128 locals 16..24; f64 locals 25..27.
  const [K, PP, PM, PV] = [12, 13, 14, 15];
  const l = adamLocals([PP, PM, PV, GRAD], 6, 16, 25);
  const rowBytes = 4 * dim;
  const c = new Code();
  splatAll(c, l);
  c.i32(0).set(K);
  c.loopUntil(K, COUNT, () => {
    c.rowAddress(ROWS, PARAM, rowBytes, PP);
    c.rowAddress(ROWS, M, rowBytes, PM);
    c.rowAddress(ROWS, V, rowBytes, PV);
    const pairs = dim >> 1;
    for (let f = 0; f < pairs; f++) adamPair(c, l, 8 * f);
    if (dim % 2) adamOne(c, l, 4 * (dim - 1));
    c.addTo(ROWS, 4).addTo(GRAD, rowBytes).addTo(K, 1);
  });
  return {
    name: 'adamRows',
    params: [I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64, F64],
    locals: [
      [4, I32],
      [9, V128],
      [3, F64],
    ],
    code: c,
  };
}

/** adamDense(groups, param, m, v, grad, rate, ...): Adam on `groups` x 4 consecutive floats. */
function adamDense(): WasmFunction {
  const [GROUPS, PARAM, M, V, GRAD] = [0, 1, 2, 3, 4];
  // f64 params 5..10; i32 local 11; v128 locals 12..20; f64 locals 21..23.
  const K = 11;
  const l = adamLocals([PARAM, M, V, GRAD], 5, 12, 21);
  const c = new Code();
  splatAll(c, l);
  c.i32(0).set(K);
  c.loopUntil(K, GROUPS, () => {
    adamPair(c, l, 0);
    adamPair(c, l, 8);
    for (const p of [PARAM, M, V, GRAD]) c.addTo(p, 16);
    c.addTo(K, 1);
  });
  return {
    name: 'adamDense',
    params: [I32, I32, I32, I32, I32, F64, F64, F64, F64, F64, F64],
    locals: [
      [1, I32],
      [9, V128],
      [3, F64],
    ],
    code: c,
  };
}
