/**
 * Implicit ALS's products (ials.ts {@link RowProducts}) as WebAssembly SIMD (f32x4): the
 * per-observation dot product and multiply-add over a row's fixed-side vectors, and the
 * Gram matrix times a vector. Everything they read lives in one wasm memory (a
 * {@link WasmArena}), addressed by byte offset; conjugate gradient's scalar steps stay in JS.
 * Float32 throughout (as the `implicit` library), so results differ from the float64 JS
 * loops in the last bits; for a given input they are the same on every run.
 * The Gram matrix Y'Y is built here too, in float64 (f64x2), with the same arithmetic as
 * ials.ts `gram`: each entry is a float64 sum, in row order, of exact float32 products.
 */
import type { WasmArena } from '../../compute/arena.ts';
import {
  Code,
  F64,
  I32,
  V128,
  instantiate,
  localRun,
  moduleBytes,
  namedLocals,
  op,
  simd,
  uleb,
  wasmValidates,
} from '../../compute/wasm-writer.ts';
import type { WasmFunction } from '../../compute/wasm-writer.ts';
import type { Observations, RowProducts, Vec } from './ials.ts';

/** True when this runtime compiles the kernel and rows of `dim` floats fit it (dim % 4 = 0). */
export function ialsSimdAvailable(dim: number): boolean {
  return dim > 0 && dim % 4 === 0 && wasmValidates(() => assembleIalsSimd(4));
}

/** out[f] = sum over the row's n observations of coef_k y_k[f] (see {@link observedFunction}). */
type Observed = (
  n: number,
  other: number,
  extra: number,
  target: number,
  fixed: number,
  rowBytes: number,
  v: number,
  out: number,
) => void;
/** out = m v for a rows x (rowBytes / 4) matrix m. */
type MatVec = (m: number, rows: number, rowBytes: number, v: number, out: number) => void;
/** The observed part of the objective over n observations (see {@link rowLossFunction}). */
type RowLoss = (
  n: number,
  other: number,
  extra: number,
  target: number,
  fixed: number,
  rowBytes: number,
  x: number,
) => number;

/**
 * gramRows(table, rows, g, a0, a1): adds, for every table row y in order, y_a y_b to the
 * float64 g[a][b] for a0 <= a < a1 and b >= a (and b = a - 1 for odd a: lower-triangle
 * entries are left to the caller's mirror).
 */
type GramRows = (table: number, rows: number, g: number, a0: number, a1: number) => void;

/** The kernel's entry points, bound to one arena's memory. */
export class IalsSimd {
  readonly observed: Observed;
  readonly residual: Observed;
  readonly matVec: MatVec;
  readonly rowLoss: RowLoss;
  readonly gramRows: GramRows;

  constructor(
    readonly arena: WasmArena,
    readonly dim: number,
  ) {
    const exports = instantiate(assembleIalsSimd(dim, arena.shared), arena.memory);
    this.observed = exports.observed as Observed;
    this.residual = exports.residual as Observed;
    this.matVec = exports.matVec as MatVec;
    this.rowLoss = exports.rowLoss as RowLoss;
    this.gramRows = exports.gramRows as GramRows;
  }

  /**
   * Matrix rows a0 .. a1 of `table`'s Gram matrix into `g` (float64, dim x dim, in the
   * arena): their upper-triangle entries the same bits as ials.ts `gram`; the rest of g is
   * left as it was. Ranges of rows can be computed apart (on threads).
   */
  gram(table: Float32Array, g: Float64Array, a0 = 0, a1 = this.dim): void {
    const { arena, dim } = this;
    if (g.buffer !== arena.memory.buffer) throw new Error('the Gram matrix is not in this arena');
    if (a1 <= a0) return;
    g.fill(0, a0 * dim, a1 * dim);
    this.gramRows(arena.offsetOf(table), table.length / dim, g.byteOffset, a0, a1);
  }
}

/**
 * {@link RowProducts} for one half-epoch: the fixed table, its Gram matrix plus lambda and
 * the rows' observations, all in the kernel's arena (as the vectors passed in must be).
 */
export class SimdRowProducts implements RowProducts {
  private readonly rowBytes: number;
  /** Byte offsets in the arena, fixed for this half-epoch (checked once, here). */
  private readonly at: {
    gram: number;
    fixed: number;
    other: number;
    extra: number;
    target: number;
  };

  constructor(
    private readonly kernel: IalsSimd,
    fixed: Float32Array,
    gramReg: Float32Array,
    private readonly obs: Observations,
    private readonly dim: number,
  ) {
    this.rowBytes = dim * 4;
    const { arena } = kernel;
    this.at = {
      gram: arena.offsetOf(gramReg),
      fixed: arena.offsetOf(fixed),
      other: arena.offsetOf(obs.other),
      extra: arena.offsetOf(obs.extra),
      target: arena.offsetOf(obs.target),
    };
  }

  aTimes(u: number, v: Vec, out: Vec): void {
    this.call(false, u, v, out);
  }

  residual(u: number, x: Vec, out: Vec): void {
    this.call(true, u, x, out);
  }

  loss(u: number, x: Vec): number {
    const n = this.count(u);
    if (n === 0) return 0;
    const { at, rowBytes } = this;
    const k = 4 * this.obs.ptr[u]!;
    const xOff = this.kernel.arena.offsetOf(x as Float32Array);
    return this.kernel.rowLoss(
      n,
      at.other + k,
      at.extra + k,
      at.target + k,
      at.fixed,
      rowBytes,
      xOff,
    );
  }

  /** out = gramReg v (negated for the residual), then the row's observations. */
  private call(residual: boolean, u: number, v: Vec, out: Vec): void {
    const { kernel, at, rowBytes, dim } = this;
    const vOff = kernel.arena.offsetOf(v as Float32Array);
    const outOff = kernel.arena.offsetOf(out as Float32Array);
    kernel.matVec(at.gram, dim, rowBytes, vOff, outOff);
    if (residual) for (let a = 0; a < dim; a++) out[a] = -out[a]!;
    const n = this.count(u);
    if (n === 0) return;
    const k = 4 * this.obs.ptr[u]!;
    const fn = residual ? kernel.residual : kernel.observed;
    fn(n, at.other + k, at.extra + k, at.target + k, at.fixed, rowBytes, vOff, outOff);
  }

  /** Observations of row u. */
  private count(u: number): number {
    return this.obs.ptr[u + 1]! - this.obs.ptr[u]!;
  }
}

/**
 * The kernel for rows of `dim` floats (a multiple of 4): its loops are unrolled. `shared`:
 * for a memory that threads share.
 */
export function assembleIalsSimd(dim: number, shared = false): Uint8Array {
  const vectors = dim / 4;
  return moduleBytes(
    [
      observedFunction(false, vectors),
      observedFunction(true, vectors),
      matVecFunction(vectors),
      rowLossFunction(vectors),
      gramRowsFunction(dim),
    ],
    shared,
  );
}

/**
 * gramRows (see {@link GramRows}): per table row, its dim / 2 float pairs are widened to
 * f64x2 locals once; then for each matrix row a, y_a times the pairs from a's own pair on
 * is added into g[a]. The pairs a row needs start at a / 2: a jump into an unrolled run
 * (br_table into nested blocks), so no pair is tested or skipped one by one.
 */
function gramRowsFunction(dim: number): WasmFunction {
  const pairs = dim / 2;
  const f = namedLocals(
    { table: I32, rows: I32, g: I32, a0: I32, a1: I32 },
    { r: I32, row: I32, a: I32, ga: I32, va: V128, ...localRun('y', pairs, V128) },
  );
  const l = f.index;
  const c = new Code();
  const rowBytes = 4 * dim;
  c.get(l.table).set(l.row);
  c.i32(0).set(l.r);
  c.loopUntil(l.r, l.rows, () => {
    for (let p = 0; p < pairs; p++) {
      c.get(l.row)
        .simd(simd.load64Splat)
        .mem(3, 8 * p);
      c.simd(simd.f64x2PromoteLowF32x4).set(l.y0 + p);
    }
    // ga = g + a0 * dim * 8: the byte address of matrix row a.
    c.get(l.a0).set(l.a);
    c.get(l.a0)
      .i32(8 * dim)
      .push(op.i32Mul)
      .get(l.g)
      .push(op.i32Add)
      .set(l.ga);
    c.loopUntil(l.a, l.a1, () => {
      c.get(l.row).get(l.a).i32(4).push(op.i32Mul).push(op.i32Add).push(op.f32Load, 2, 0);
      c.push(op.f64PromoteF32).simd(simd.f64x2Splat).set(l.va);
      for (let p = 0; p < pairs; p++) c.push(op.block, 0x40);
      c.get(l.a).i32(1).push(op.i32ShrU);
      c.push(
        op.brTable,
        ...uleb(pairs),
        ...Array.from({ length: pairs }, (_, p) => p).flatMap((p) => uleb(p)),
        ...uleb(pairs - 1),
      );
      for (let p = 0; p < pairs; p++) {
        c.push(op.end);
        // g[a][2p .. 2p + 1] += y_a * y[2p .. 2p + 1]
        c.get(l.ga)
          .get(l.ga)
          .simd(simd.load)
          .mem(3, 16 * p);
        c.get(l.va)
          .get(l.y0 + p)
          .simd(simd.f64x2Mul)
          .simd(simd.f64x2Add);
        c.simd(simd.store).mem(3, 16 * p);
      }
      c.addTo(l.ga, 8 * dim).addTo(l.a, 1);
    });
    c.addTo(l.row, rowBytes).addTo(l.r, 1);
  });
  return { name: 'gramRows', params: f.params, locals: f.locals, code: c };
}

/**
 * <row at local `row`, vector at local `vec`> over `vectors` f32x4 lanes, left on the stack
 * as f32: unrolled, alternating two accumulators (`acc`, `acc2`) so the adds do not wait on
 * each other.
 */
function dot(c: Code, l: { row: number; vec: number; acc: number; acc2: number }, vectors: number) {
  const accs = [l.acc, l.acc2];
  c.zeroV128(l.acc).zeroV128(l.acc2);
  for (let f = 0; f < vectors; f++) {
    const acc = accs[f % 2]!;
    c.get(acc);
    c.get(l.row)
      .simd(simd.load)
      .mem(4, 16 * f);
    c.get(l.vec)
      .simd(simd.load)
      .mem(4, 16 * f);
    c.simd(simd.f32x4Mul).simd(simd.f32x4Add).set(acc);
  }
  c.get(l.acc).get(l.acc2).simd(simd.f32x4Add).set(l.acc);
  c.get(l.acc).simd(simd.f32x4ExtractLane).push(0);
  for (let lane = 1; lane < 4; lane++)
    c.get(l.acc).simd(simd.f32x4ExtractLane).push(lane).push(op.f32Add);
}

/** The params that observed, residual and rowLoss share, in their order. */
const OBSERVATION_PARAMS = {
  n: I32,
  other: I32,
  extra: I32,
  target: I32,
  fixed: I32,
  rowBytes: I32,
};

/**
 * A loop over n observations: local `y` holds the address of the fixed row each names, and
 * the three column pointers move on after `body`.
 */
function forEachObservation(
  c: Code,
  l: { [K in keyof typeof OBSERVATION_PARAMS | 'k' | 'y']: number },
  body: () => void,
) {
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.n, () => {
    c.get(l.other).push(op.i32Load, 2, 0).get(l.rowBytes).push(op.i32Mul).get(l.fixed);
    c.push(op.i32Add).set(l.y);
    body();
    c.addTo(l.other, 4).addTo(l.extra, 4).addTo(l.target, 4).addTo(l.k, 1);
  });
}

/**
 * observed / residual(n, other, extra, target, fixed, rowBytes, v, out): for each of the n
 * observations k (their other-side ids, c - 1 and c p at the given addresses), with y the
 * fixed row it names, out += coef y where coef = (c - 1) <y, v> (`observed`), or
 * c p - (c - 1) <y, v> (`residual`).
 */
function observedFunction(residual: boolean, vectors: number): WasmFunction {
  const f = namedLocals(
    { ...OBSERVATION_PARAMS, v: I32, out: I32 },
    { k: I32, y: I32, acc: V128, acc2: V128, coef: V128 },
  );
  const l = f.index;
  const c = new Code();
  forEachObservation(c, l, () => {
    // coef, splat into its local
    if (residual) c.get(l.target).push(op.f32Load, 2, 0);
    c.get(l.extra).push(op.f32Load, 2, 0);
    dot(c, { row: l.y, vec: l.v, acc: l.acc, acc2: l.acc2 }, vectors);
    c.push(op.f32Mul);
    if (residual) c.push(op.f32Sub);
    c.simd(simd.f32x4Splat).set(l.coef);
    // out += coef y
    for (let k = 0; k < vectors; k++) {
      c.get(l.out)
        .get(l.out)
        .simd(simd.load)
        .mem(4, 16 * k);
      c.get(l.coef)
        .get(l.y)
        .simd(simd.load)
        .mem(4, 16 * k);
      c.simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .simd(simd.store)
        .mem(4, 16 * k);
    }
  });
  const name = residual ? 'residual' : 'observed';
  return { name, params: f.params, locals: f.locals, code: c };
}

/** matVec(m, rows, rowBytes, v, out): out[a] = <row a of m, v>. */
function matVecFunction(vectors: number): WasmFunction {
  const f = namedLocals(
    { m: I32, rows: I32, rowBytes: I32, v: I32, out: I32 },
    { a: I32, acc: V128, acc2: V128 },
  );
  const l = f.index;
  const c = new Code();
  c.i32(0).set(l.a);
  c.loopUntil(l.a, l.rows, () => {
    c.get(l.out);
    dot(c, { row: l.m, vec: l.v, acc: l.acc, acc2: l.acc2 }, vectors);
    c.push(op.f32Store, 2, 0);
    c.get(l.m).get(l.rowBytes).push(op.i32Add).set(l.m);
    c.addTo(l.out, 4).addTo(l.a, 1);
  });
  return { name: 'matVec', params: f.params, locals: f.locals, code: c };
}

/**
 * rowLoss(n, other, extra, target, fixed, rowBytes, x): sum over the n observations of
 * c (p - s)^2 - s^2 = target (1 - 2 s) + (c - 1) s^2 with s = <y, x>, summed in float64.
 */
function rowLossFunction(vectors: number): WasmFunction {
  const f = namedLocals(
    { ...OBSERVATION_PARAMS, x: I32 },
    { k: I32, y: I32, acc: V128, acc2: V128, s: F64, t: F64, sum: F64 },
  );
  const l = f.index;
  const c = new Code();
  forEachObservation(c, l, () => {
    dot(c, { row: l.y, vec: l.x, acc: l.acc, acc2: l.acc2 }, vectors);
    c.push(op.f64PromoteF32).set(l.s);
    c.get(l.target).push(op.f32Load, 2, 0).push(op.f64PromoteF32).set(l.t);
    // sum += t - (t + t) s + e s s
    c.get(l.sum).get(l.t).push(op.f64Add);
    c.get(l.t).get(l.t).push(op.f64Add).get(l.s).push(op.f64Mul).push(op.f64Sub);
    c.get(l.extra).push(op.f32Load, 2, 0).push(op.f64PromoteF32);
    c.get(l.s).push(op.f64Mul).get(l.s).push(op.f64Mul).push(op.f64Add).set(l.sum);
  });
  c.get(l.sum);
  return { name: 'rowLoss', params: f.params, locals: f.locals, code: c, results: [F64] };
}
