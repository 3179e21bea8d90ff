/**
 * Implicit ALS's row solves (ials.ts {@link cgSolveRows} with its products) as WebAssembly
 * SIMD (f32x4): one call re-solves a range of rows, conjugate gradient's steps included, so
 * no JS runs per row. Everything it reads lives in one wasm memory (a {@link WasmArena}),
 * addressed by byte offset. The products are float32 throughout (as the `implicit`
 * library); CG's scalars are float64 and its vector updates float64 rounded to float32, as
 * {@link cgSolveRows} computes them over float32 vectors. So results differ from the float64
 * JS loops in the last bits, and are the same on every run and for any split of the rows.
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
import type { Observations } from './ials.ts';

/** True when this runtime compiles the kernel and rows of `dim` floats fit it (dim % 4 = 0). */
export function ialsSimdAvailable(dim: number): boolean {
  return dim > 0 && dim % 4 === 0 && wasmValidates(() => assembleIalsSimd(4));
}

/**
 * Observations whose coefficients a row's product computes before adding their rows into
 * the result, a block at a time: the result is then loaded and stored once per block, not
 * once per observation, and the block's fixed rows stay in the L1 cache in between.
 */
const BLOCK = 32;
/** f32x4 accumulators of the result kept in locals while a block is added (fit registers). */
const GROUP = 8;

/** Table rows the Gram matrix's tiles sweep at a time, from a float64 copy in scratch. */
const GRAM_BLOCK = 32;
/** f64x2 accumulators of a Gram-matrix tile (16 entries of a matrix row), in locals. */
const GRAM_TILE = 8;

/**
 * Floats of scratch one thread needs: for a {@link SimdRowSolver}, CG's vectors and a block
 * of observations; for {@link IalsSimd.gram}, a block of table rows in float64.
 */
export function ialsScratchFloats(dim: number): number {
  return Math.max(3 * dim + 2 * BLOCK, 2 * GRAM_BLOCK * dim);
}

/**
 * solveRows(from, to, solve, fixed, gram, ptr, other, extra, target, scratch, steps, loss,
 * withLoss): see {@link SimdRowSolver.solve}; addresses are byte offsets.
 */
type SolveRows = (
  from: number,
  to: number,
  solve: number,
  fixed: number,
  gram: number,
  ptr: number,
  other: number,
  extra: number,
  target: number,
  scratch: number,
  steps: number,
  loss: number,
  withLoss: number,
) => void;

/**
 * gramRows(table, rows, g, a0, a1, scratch): adds, for every table row y in order, y_a y_b
 * to the float64 g[a][b] for a0 <= a < a1 and b >= a (and some b < a: lower-triangle
 * entries are left to the caller's mirror).
 */
type GramRows = (
  table: number,
  rows: number,
  g: number,
  a0: number,
  a1: number,
  scratch: number,
) => void;

/** The kernel's entry points, bound to one arena's memory. */
export class IalsSimd {
  readonly solveRows: SolveRows;
  readonly gramRows: GramRows;

  constructor(
    readonly arena: WasmArena,
    readonly dim: number,
  ) {
    const exports = instantiate(assembleIalsSimd(dim, arena.shared), arena.memory);
    this.solveRows = exports.solveRows as SolveRows;
    this.gramRows = exports.gramRows as GramRows;
  }

  /**
   * Matrix rows a0 .. a1 of `table`'s Gram matrix into `g` (float64, dim x dim, in the
   * arena): their upper-triangle entries the same bits as ials.ts `gram`; the rest of g
   * outside those rows is left as it was. Ranges of rows can be computed apart (on threads,
   * each with its own `scratch` of {@link ialsScratchFloats} floats).
   */
  gram(table: Float32Array, g: Float64Array, scratch: Float32Array, a0 = 0, a1 = this.dim): void {
    const { arena, dim } = this;
    if (g.buffer !== arena.memory.buffer) throw new Error('the Gram matrix is not in this arena');
    if (scratch.length < ialsScratchFloats(dim))
      throw new Error(`iALS Gram matrix: scratch of ${scratch.length} floats is too small`);
    if (a1 <= a0) return;
    g.fill(0, a0 * dim, a1 * dim);
    const at = arena.offsetOf(table);
    this.gramRows(at, table.length / dim, g.byteOffset, a0, a1, arena.offsetOf(scratch));
  }
}

/** {@link SolveRows}' arguments after the range of rows. */
type SolveArgs = Parameters<SolveRows> extends [number, number, ...infer Rest] ? Rest : never;

/** What a {@link SimdRowSolver} solves: every array in the kernel's arena. */
export interface SimdSolveTables {
  /** The table whose rows are re-solved, in place. */
  solve: Float32Array;
  /** The other side's table, fixed for this half-epoch. */
  fixed: Float32Array;
  /** The fixed table's Gram matrix plus lambda I (float32, dim x dim, full). */
  gramReg: Float32Array;
  /** The solved rows' observations (grouped by them). */
  obs: Observations;
  /** {@link ialsScratchFloats} floats of this thread's own. */
  scratch: Float32Array;
  /** Where each solved row's share of the objective goes, when it is wanted. */
  loss?: Float64Array;
}

/**
 * One half-epoch's row solves: ials.ts {@link cgSolveRows} with ials.ts `JsRowProducts`'
 * products, in float32, one wasm call per range of rows.
 */
export class SimdRowSolver {
  private readonly rows: number;
  /** The kernel's arguments after `from, to` (byte offsets checked once, here). */
  private readonly args: SolveArgs;

  constructor(
    private readonly kernel: IalsSimd,
    t: SimdSolveTables,
    steps: number,
  ) {
    const { arena, dim } = kernel;
    const at = (a: Float32Array | Int32Array) => arena.offsetOf(a);
    this.rows = t.obs.ptr.length - 1;
    if (t.solve.length !== this.rows * dim || t.gramReg.length !== dim * dim)
      throw new Error(`iALS solve: tables do not match ${this.rows} rows of ${dim} factors`);
    if (t.scratch.length < ialsScratchFloats(dim))
      throw new Error(`iALS solve: scratch of ${t.scratch.length} floats is too small`);
    if (t.loss && (t.loss.buffer !== arena.memory.buffer || t.loss.length < this.rows))
      throw new Error('iALS solve: the loss array is not one per row in this arena');
    this.args = [
      at(t.solve),
      at(t.fixed),
      at(t.gramReg),
      at(t.obs.ptr),
      at(t.obs.other),
      at(t.obs.extra),
      at(t.obs.target),
      at(t.scratch),
      steps,
      t.loss?.byteOffset ?? 0,
      t.loss ? 1 : 0,
    ];
  }

  /**
   * Re-solves rows `from .. to` in place (`steps` CG steps each, warm-started from the row)
   * and, with a loss array, writes each row's observed part of the objective there.
   */
  solve(from: number, to: number): void {
    if (!(from >= 0 && from <= to && to <= this.rows))
      throw new RangeError(`iALS solve: rows ${from} .. ${to} outside 0 .. ${this.rows}`);
    this.kernel.solveRows(from, to, ...this.args);
  }
}

/** The module's functions, in order: the index a `call` names. */
const FN = { matVec: 0, observed: 1, residual: 2, rowLoss: 3, gramRows: 4, solveRows: 5 };

/**
 * The kernel for rows of `dim` floats (a multiple of 4): its loops are unrolled. `shared`:
 * for a memory that threads share.
 */
export function assembleIalsSimd(dim: number, shared = false): Uint8Array {
  const functions = [
    matVecFunction(dim),
    observedFunction(false, dim),
    observedFunction(true, dim),
    rowLossFunction(dim),
    gramRowsFunction(dim),
    solveRowsFunction(dim),
  ];
  functions.forEach((f, k) => {
    if (FN[f.name as keyof typeof FN] !== k) throw new Error(`iALS kernel: ${f.name} out of place`);
  });
  return moduleBytes(functions, shared);
}

/**
 * gramRows (see {@link GramRows}): a block of table rows at a time is widened to float64 in
 * scratch; then each matrix row a is added to in tiles of {@link GRAM_TILE} pairs of
 * entries, from the tile that holds its diagonal on: the tile is held in locals while the
 * block's rows are added in order, so g is loaded and stored once per tile and block.
 */
function gramRowsFunction(dim: number): WasmFunction {
  const pairs = dim / 2;
  const rowBytes = 4 * dim;
  const wideBytes = 8 * dim;
  const f = namedLocals(
    { table: I32, rows: I32, g: I32, a0: I32, a1: I32, scratch: I32 },
    {
      r0: I32,
      nb: I32,
      src: I32,
      dst: I32,
      blockEnd: I32,
      a: I32,
      ga: I32,
      sr: I32,
      sa: I32,
      ya: V128,
      ...localRun('acc', GRAM_TILE, V128),
    },
  );
  const l = f.index;
  const c = new Code();
  c.get(l.table).set(l.src);
  c.i32(0).set(l.r0);
  c.loopUntil(l.r0, l.rows, () => {
    // nb = min(GRAM_BLOCK, rows - r0) rows, widened into scratch .. blockEnd.
    c.get(l.rows).get(l.r0).push(op.i32Sub).set(l.nb);
    c.i32(GRAM_BLOCK).get(l.nb).get(l.nb).i32(GRAM_BLOCK).push(op.i32GtU, op.select).set(l.nb);
    c.get(l.nb).i32(wideBytes).push(op.i32Mul).get(l.scratch).push(op.i32Add).set(l.blockEnd);
    c.get(l.scratch).set(l.dst);
    c.loopUntil(l.dst, l.blockEnd, () => {
      for (let p = 0; p < pairs; p++) {
        c.get(l.dst);
        c.get(l.src)
          .simd(simd.load64Splat)
          .mem(3, 8 * p)
          .simd(simd.f64x2PromoteLowF32x4);
        c.simd(simd.store).mem(4, 16 * p);
      }
      c.addTo(l.src, rowBytes).addTo(l.dst, wideBytes);
    });
    c.get(l.a0).set(l.a);
    c.get(l.a0).i32(wideBytes).push(op.i32Mul).get(l.g).push(op.i32Add).set(l.ga);
    c.loopUntil(l.a, l.a1, () => {
      for (let t0 = 0; t0 < pairs; t0 += GRAM_TILE) {
        const size = Math.min(GRAM_TILE, pairs - t0);
        // A tile wholly left of the diagonal (its last column below a) is skipped.
        c.push(op.block, 0x40);
        c.get(l.a)
          .i32(2 * (t0 + size))
          .push(op.i32GeU, op.brIf, 0);
        for (let i = 0; i < size; i++) c.loadV128(l.ga, 16 * (t0 + i), l.acc0 + i);
        // sr: the block row's widened copy; sa: its entry a.
        c.get(l.scratch).set(l.sr);
        c.get(l.a).i32(8).push(op.i32Mul).get(l.scratch).push(op.i32Add).set(l.sa);
        c.loopUntil(l.sr, l.blockEnd, () => {
          c.get(l.sa).simd(simd.load64Splat).mem(3, 0).set(l.ya);
          for (let i = 0; i < size; i++) {
            c.get(l.acc0 + i).get(l.ya);
            c.get(l.sr)
              .simd(simd.load)
              .mem(4, 16 * (t0 + i));
            c.simd(simd.f64x2Mul)
              .simd(simd.f64x2Add)
              .set(l.acc0 + i);
          }
          c.addTo(l.sr, wideBytes).addTo(l.sa, wideBytes);
        });
        for (let i = 0; i < size; i++)
          c.get(l.ga)
            .get(l.acc0 + i)
            .simd(simd.store)
            .mem(4, 16 * (t0 + i));
        c.push(op.end);
      }
      c.addTo(l.ga, wideBytes).addTo(l.a, 1);
    });
    c.get(l.r0).get(l.nb).push(op.i32Add).set(l.r0);
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

/**
 * The dot products of four rows with the vector at local `vec`, left on the stack as one
 * f32x4 (lane j: row j's), each the bits of {@link dot} on that row: the same sums in the
 * same order, the four rows' lane sums taken at once by transposing their partial sums.
 * `loadRow(j, f)` pushes vector f of row j; `accs` is the first of 8 V128 locals.
 */
function dot4(
  c: Code,
  l: { vec: number; accs: number; v: number },
  vectors: number,
  loadRow: (j: number, f: number) => void,
) {
  // accs + 2 j sums row j's even vectors, accs + 2 j + 1 its odd ones (as dot's acc, acc2).
  for (let k = 0; k < 8; k++) c.zeroV128(l.accs + k);
  for (let f = 0; f < vectors; f++) {
    c.get(l.vec)
      .simd(simd.load)
      .mem(4, 16 * f)
      .set(l.v);
    for (let j = 0; j < 4; j++) {
      const acc = l.accs + 2 * j + (f % 2);
      c.get(acc);
      loadRow(j, f);
      c.get(l.v).simd(simd.f32x4Mul).simd(simd.f32x4Add).set(acc);
    }
  }
  const row = (j: number) => l.accs + 2 * j;
  for (let j = 0; j < 4; j++)
    c.get(row(j))
      .get(row(j) + 1)
      .simd(simd.f32x4Add)
      .set(row(j));
  // Rows A, B, C, D: [A0 B0 A1 B1], [A2 B2 A3 B3] and the same of C, D; then lane k of all
  // four rows, T_k; the sums are ((T0 + T1) + T2) + T3, as dot's lanes.
  const lanes = (...ks: number[]) => ks.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]);
  const shuffle = (a: number, b: number, ks: number[]) =>
    c
      .get(a)
      .get(b)
      .simd(simd.i8x16Shuffle)
      .push(...lanes(...ks));
  shuffle(row(0), row(1), [0, 4, 1, 5]).set(row(0) + 1);
  shuffle(row(0), row(1), [2, 6, 3, 7]).set(row(1) + 1);
  shuffle(row(2), row(3), [0, 4, 1, 5]).set(row(2) + 1);
  shuffle(row(2), row(3), [2, 6, 3, 7]).set(row(3) + 1);
  shuffle(row(0) + 1, row(2) + 1, [0, 1, 4, 5]);
  shuffle(row(0) + 1, row(2) + 1, [2, 3, 6, 7]).simd(simd.f32x4Add);
  shuffle(row(1) + 1, row(3) + 1, [0, 1, 4, 5]).simd(simd.f32x4Add);
  shuffle(row(1) + 1, row(3) + 1, [2, 3, 6, 7]).simd(simd.f32x4Add);
}

/**
 * observed / residual(n, other, extra, target, fixed, v, out, coefs, addrs): for each of the
 * n observations k (their other-side ids, c - 1 and c p at the given addresses), with y the
 * fixed row it names, out += coef y where coef = (c - 1) <y, v> (`observed`), or
 * c p - (c - 1) <y, v> (`residual`); each element of out sums its terms in observation
 * order. A block of observations at a time: their coefficients (dot products four at a
 * time, {@link dot4}, the rest one at a time) and row addresses go to `coefs` and `addrs`
 * ({@link BLOCK} each), then the block's rows are added into out, {@link GROUP} vectors of
 * it at a time, held in locals.
 */
function observedFunction(residual: boolean, dim: number): WasmFunction {
  const vectors = dim / 4;
  const f = namedLocals(
    {
      n: I32,
      other: I32,
      extra: I32,
      target: I32,
      fixed: I32,
      v: I32,
      out: I32,
      coefs: I32,
      addrs: I32,
    },
    {
      k: I32,
      m: I32,
      cp: I32,
      cpEnd: I32,
      cpEnd4: I32,
      y: I32,
      ...localRun('y', 4, I32),
      acc: V128,
      acc2: V128,
      x: V128,
      coef: V128,
      ...localRun('a', 8, V128),
      ...localRun('s', Math.min(GROUP, vectors), V128),
    },
  );
  const l = f.index;
  const c = new Code();
  // addrs[j] is read at coefs[j]'s address plus this.
  const addrsFromCoefs = 4 * BLOCK;
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.n, () => {
    // m = min(BLOCK, n - k); cpEnd = coefs + 4 m
    c.get(l.n).get(l.k).push(op.i32Sub).set(l.m);
    c.i32(BLOCK).get(l.m).get(l.m).i32(BLOCK).push(op.i32GtU, op.select).set(l.m);
    c.get(l.coefs).get(l.m).i32(4).push(op.i32Mul, op.i32Add).set(l.cpEnd);
    c.get(l.coefs).get(l.m).i32(-4).push(op.i32And).i32(4).push(op.i32Mul, op.i32Add);
    c.set(l.cpEnd4);
    // The block's row addresses and coefficients: four at a time, then one at a time.
    c.get(l.coefs).set(l.cp);
    c.loopUntil(l.cp, l.cpEnd4, () => {
      for (let j = 0; j < 4; j++) {
        c.get(l.cp);
        c.get(l.other)
          .push(op.i32Load)
          .mem(2, 4 * j);
        c.i32(4 * dim)
          .push(op.i32Mul)
          .get(l.fixed)
          .push(op.i32Add)
          .tee(l.y0 + j);
        c.push(op.i32Store).mem(2, addrsFromCoefs + 4 * j);
      }
      c.get(l.cp);
      if (residual) c.get(l.target).simd(simd.load).mem(2, 0);
      c.get(l.extra).simd(simd.load).mem(2, 0);
      dot4(c, { vec: l.v, accs: l.a0, v: l.x }, vectors, (j, k) =>
        c
          .get(l.y0 + j)
          .simd(simd.load)
          .mem(4, 16 * k),
      );
      c.simd(simd.f32x4Mul);
      if (residual) c.simd(simd.f32x4Sub);
      c.simd(simd.store).mem(2, 0);
      c.addTo(l.other, 16).addTo(l.extra, 16).addTo(l.target, 16).addTo(l.cp, 16);
    });
    c.loopUntil(l.cp, l.cpEnd, () => {
      c.get(l.cp);
      c.rowAddress(l.other, l.fixed, 4 * dim, l.y).get(l.y);
      c.push(op.i32Store).mem(2, addrsFromCoefs);
      c.get(l.cp);
      if (residual) c.get(l.target).push(op.f32Load, 2, 0);
      c.get(l.extra).push(op.f32Load, 2, 0);
      dot(c, { row: l.y, vec: l.v, acc: l.acc, acc2: l.acc2 }, vectors);
      c.push(op.f32Mul);
      if (residual) c.push(op.f32Sub);
      c.push(op.f32Store, 2, 0);
      c.addTo(l.other, 4).addTo(l.extra, 4).addTo(l.target, 4).addTo(l.cp, 4);
    });
    // out += coef y over the block, a group of out's vectors at a time.
    for (let g0 = 0; g0 < vectors; g0 += GROUP) {
      const size = Math.min(GROUP, vectors - g0);
      for (let i = 0; i < size; i++) c.loadV128(l.out, 16 * (g0 + i), l.s0 + i);
      c.get(l.coefs).set(l.cp);
      c.loopUntil(l.cp, l.cpEnd, () => {
        c.get(l.cp).simd(simd.load32Splat).mem(2, 0).set(l.coef);
        c.get(l.cp).push(op.i32Load).mem(2, addrsFromCoefs).set(l.y);
        for (let i = 0; i < size; i++) {
          c.get(l.s0 + i).get(l.coef);
          c.get(l.y)
            .simd(simd.load)
            .mem(4, 16 * (g0 + i));
          c.simd(simd.f32x4Mul)
            .simd(simd.f32x4Add)
            .set(l.s0 + i);
        }
        c.addTo(l.cp, 4);
      });
      for (let i = 0; i < size; i++)
        c.get(l.out)
          .get(l.s0 + i)
          .simd(simd.store)
          .mem(4, 16 * (g0 + i));
    }
    c.get(l.k).get(l.m).push(op.i32Add).set(l.k);
  });
  const name = residual ? 'residual' : 'observed';
  return { name, params: f.params, locals: f.locals, code: c };
}

/**
 * solveRows (see {@link SolveRows}): per row, ials.ts {@link cgSolveRows} with the products
 * of `matVec` and `observed` / `residual`, on the row in place. The scratch holds r, p and
 * A p, then the products' block. CG's dot products are float64 sums in element order and
 * its vector updates float64 per element, rounded to float32 on store (f64x2, two elements
 * at a time): the JS loop's arithmetic over float32 vectors.
 */
function solveRowsFunction(dim: number): WasmFunction {
  const rowBytes = 4 * dim;
  const pairs = dim / 2;
  const [R, P, AP, COEFS] = [0, rowBytes, 2 * rowBytes, 3 * rowBytes];
  const ADDRS = COEFS + 4 * BLOCK;
  const f = namedLocals(
    {
      from: I32,
      to: I32,
      solve: I32,
      fixed: I32,
      gram: I32,
      ptr: I32,
      other: I32,
      extra: I32,
      target: I32,
      scratch: I32,
      steps: I32,
      loss: I32,
      withLoss: I32,
    },
    {
      u: I32,
      x: I32,
      n: I32,
      at: I32,
      o: I32,
      e: I32,
      t: I32,
      step: I32,
      rs: F64,
      rsNew: F64,
      pap: F64,
      alpha: V128,
      beta: V128,
      w: V128,
    },
  );
  const l = f.index;
  const c = new Code();
  const scratchAt = (offset: number) => {
    c.get(l.scratch);
    if (offset) c.i32(offset).push(op.i32Add);
  };
  /** Pushes elements 2j, 2j + 1 of the vector at local `ptr` plus `base`, as float64. */
  const pair = (ptr: number, base: number, j: number) =>
    c
      .get(ptr)
      .simd(simd.load64Splat)
      .mem(3, base + 8 * j)
      .simd(simd.f64x2PromoteLowF32x4);
  /**
   * Stores the float64 pair on the stack, rounded to float32, as elements 2j, 2j + 1 of the
   * vector at the address under it plus `base`.
   */
  const storePair = (base: number, j: number) =>
    c
      .simd(simd.f32x4DemoteF64x2Zero)
      .simd(simd.store64Lane)
      .mem(3, base + 8 * j)
      .push(0);
  /** local `sum` += lane 0, then += lane 1 of the f64x2 local `w` (in element order). */
  const addLanes = (sum: number) => {
    c.get(sum).get(l.w).simd(simd.f64x2ExtractLane).push(0).push(op.f64Add);
    c.get(l.w).simd(simd.f64x2ExtractLane).push(1).push(op.f64Add).set(sum);
  };
  /** Leaves !(local > bound) on the stack: the exits of cgSolveRows' loop, NaN included. */
  const notAbove = (local: number, bound: number) =>
    c.get(local).f64(bound).push(op.f64Gt, op.i32Eqz);
  /** Scratch vector `out` = A v, or b - A v for the residual (`v` pushes v's address). */
  const products = (residual: boolean, v: () => void, out: number) => {
    c.get(l.gram);
    v();
    scratchAt(out);
    c.push(op.call, ...uleb(FN.matVec));
    if (residual)
      for (let k = 0; k < dim / 4; k++) {
        c.get(l.scratch).get(l.scratch);
        c.simd(simd.load)
          .mem(4, out + 16 * k)
          .simd(simd.f32x4Neg);
        c.simd(simd.store).mem(4, out + 16 * k);
      }
    c.get(l.n).get(l.o).get(l.e).get(l.t).get(l.fixed);
    v();
    scratchAt(out);
    scratchAt(COEFS);
    scratchAt(ADDRS);
    c.push(op.call, ...uleb(residual ? FN.residual : FN.observed));
  };

  c.get(l.from).i32(rowBytes).push(op.i32Mul).get(l.solve).push(op.i32Add).set(l.x);
  c.get(l.from).set(l.u);
  c.loopUntil(l.u, l.to, () => {
    // The row's observations: n of them, from index ptr[u] (as a byte offset in `at`).
    c.get(l.u).i32(4).push(op.i32Mul).get(l.ptr).push(op.i32Add).set(l.at);
    c.get(l.at).push(op.i32Load, 2, 4).get(l.at).push(op.i32Load, 2, 0).push(op.i32Sub).set(l.n);
    c.get(l.at).push(op.i32Load, 2, 0).i32(4).push(op.i32Mul).set(l.at);
    c.get(l.other).get(l.at).push(op.i32Add).set(l.o);
    c.get(l.extra).get(l.at).push(op.i32Add).set(l.e);
    c.get(l.target).get(l.at).push(op.i32Add).set(l.t);
    // r = b - A x; p = r; rs = <r, r>
    products(true, () => c.get(l.x), R);
    c.f64(0).set(l.rs);
    for (let j = 0; j < pairs; j++) {
      c.get(l.scratch)
        .get(l.scratch)
        .simd(simd.load64Splat)
        .mem(3, R + 8 * j);
      c.simd(simd.store64Lane)
        .mem(3, P + 8 * j)
        .push(0);
      pair(l.scratch, R, j).set(l.w);
      c.get(l.w).get(l.w).simd(simd.f64x2Mul).set(l.w);
      addLanes(l.rs);
    }
    c.i32(0).set(l.step);
    c.push(op.block, 0x40, op.loop, 0x40);
    c.get(l.step).get(l.steps).push(op.i32GeU, op.brIf, 1);
    notAbove(l.rs, 1e-20).push(op.brIf, 1);
    // A p; pap = <p, A p>
    products(false, () => scratchAt(P), AP);
    c.f64(0).set(l.pap);
    for (let j = 0; j < pairs; j++) {
      pair(l.scratch, P, j);
      pair(l.scratch, AP, j).simd(simd.f64x2Mul).set(l.w);
      addLanes(l.pap);
    }
    notAbove(l.pap, 0).push(op.brIf, 1);
    c.get(l.rs).get(l.pap).push(op.f64Div).simd(simd.f64x2Splat).set(l.alpha);
    // x += alpha p; r -= alpha A p; rsNew = <r, r>
    c.f64(0).set(l.rsNew);
    for (let j = 0; j < pairs; j++) {
      c.get(l.x);
      pair(l.x, 0, j).get(l.alpha);
      pair(l.scratch, P, j).simd(simd.f64x2Mul).simd(simd.f64x2Add);
      storePair(0, j);
      c.get(l.scratch);
      pair(l.scratch, R, j).get(l.alpha);
      pair(l.scratch, AP, j).simd(simd.f64x2Mul).simd(simd.f64x2Sub);
      storePair(R, j);
      pair(l.scratch, R, j).set(l.w);
      c.get(l.w).get(l.w).simd(simd.f64x2Mul).set(l.w);
      addLanes(l.rsNew);
    }
    // p = r + (rsNew / rs) p
    c.get(l.rsNew).get(l.rs).push(op.f64Div).simd(simd.f64x2Splat).set(l.beta);
    for (let j = 0; j < pairs; j++) {
      c.get(l.scratch);
      pair(l.scratch, R, j).get(l.beta);
      pair(l.scratch, P, j).simd(simd.f64x2Mul).simd(simd.f64x2Add);
      storePair(P, j);
    }
    c.get(l.rsNew).set(l.rs);
    c.addTo(l.step, 1).push(op.br, 0, op.end, op.end);
    // loss[u] = the row's observed part of the objective, when asked for.
    c.push(op.block, 0x40).get(l.withLoss).push(op.i32Eqz, op.brIf, 0);
    c.get(l.u).i32(8).push(op.i32Mul).get(l.loss).push(op.i32Add);
    c.get(l.n).get(l.o).get(l.e).get(l.t).get(l.fixed).get(l.x);
    c.push(op.call, ...uleb(FN.rowLoss), op.f64Store, 3, 0, op.end);
    c.addTo(l.x, rowBytes).addTo(l.u, 1);
  });
  return { name: 'solveRows', params: f.params, locals: f.locals, code: c };
}

/** matVec(m, v, out): out = m v for the dim x dim matrix m, four rows at a time. */
function matVecFunction(dim: number): WasmFunction {
  const f = namedLocals(
    { m: I32, v: I32, out: I32 },
    { end: I32, x: V128, ...localRun('acc', 8, V128) },
  );
  const l = f.index;
  const c = new Code();
  const rowBytes = 4 * dim;
  c.get(l.out).i32(rowBytes).push(op.i32Add).set(l.end);
  c.loopUntil(l.out, l.end, () => {
    c.get(l.out);
    dot4(c, { vec: l.v, accs: l.acc0, v: l.x }, dim / 4, (j, k) =>
      c
        .get(l.m)
        .simd(simd.load)
        .mem(4, j * rowBytes + 16 * k),
    );
    c.simd(simd.store).mem(4, 0);
    c.addTo(l.m, 4 * rowBytes).addTo(l.out, 16);
  });
  return { name: 'matVec', params: f.params, locals: f.locals, code: c };
}

/**
 * rowLoss(n, other, extra, target, fixed, x): sum over the n observations of
 * c (p - s)^2 - s^2 = target (1 - 2 s) + (c - 1) s^2 with s = <y, x>, summed in float64
 * in observation order; the dot products four at a time, then one at a time.
 */
function rowLossFunction(dim: number): WasmFunction {
  const vectors = dim / 4;
  const f = namedLocals(
    { n: I32, other: I32, extra: I32, target: I32, fixed: I32, x: I32 },
    {
      k: I32,
      n4: I32,
      y: I32,
      ...localRun('y', 4, I32),
      acc: V128,
      acc2: V128,
      v: V128,
      dots: V128,
      ...localRun('a', 8, V128),
      s: F64,
      t: F64,
      sum: F64,
    },
  );
  const l = f.index;
  const c = new Code();
  /** sum += t - (t + t) s + e s s, with s in its local and t, e those of observation j. */
  const addTerm = (j: number) => {
    c.get(l.target)
      .push(op.f32Load)
      .mem(2, 4 * j)
      .push(op.f64PromoteF32)
      .set(l.t);
    c.get(l.sum).get(l.t).push(op.f64Add);
    c.get(l.t).get(l.t).push(op.f64Add).get(l.s).push(op.f64Mul).push(op.f64Sub);
    c.get(l.extra)
      .push(op.f32Load)
      .mem(2, 4 * j)
      .push(op.f64PromoteF32);
    c.get(l.s).push(op.f64Mul).get(l.s).push(op.f64Mul).push(op.f64Add).set(l.sum);
  };
  const rowBytes = 4 * dim;
  c.get(l.n).i32(-4).push(op.i32And).set(l.n4);
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.n4, () => {
    for (let j = 0; j < 4; j++) {
      c.get(l.other)
        .push(op.i32Load)
        .mem(2, 4 * j);
      c.i32(rowBytes)
        .push(op.i32Mul)
        .get(l.fixed)
        .push(op.i32Add)
        .set(l.y0 + j);
    }
    dot4(c, { vec: l.x, accs: l.a0, v: l.v }, vectors, (j, k) =>
      c
        .get(l.y0 + j)
        .simd(simd.load)
        .mem(4, 16 * k),
    );
    c.set(l.dots);
    for (let j = 0; j < 4; j++) {
      c.get(l.dots).simd(simd.f32x4ExtractLane).push(j).push(op.f64PromoteF32).set(l.s);
      addTerm(j);
    }
    c.addTo(l.other, 16).addTo(l.extra, 16).addTo(l.target, 16).addTo(l.k, 4);
  });
  c.loopUntil(l.k, l.n, () => {
    c.rowAddress(l.other, l.fixed, rowBytes, l.y);
    dot(c, { row: l.y, vec: l.x, acc: l.acc, acc2: l.acc2 }, vectors);
    c.push(op.f64PromoteF32).set(l.s);
    addTerm(0);
    c.addTo(l.other, 4).addTo(l.extra, 4).addTo(l.target, 4).addTo(l.k, 1);
  });
  c.get(l.sum);
  return { name: 'rowLoss', params: f.params, locals: f.locals, code: c, results: [F64] };
}
