/**
 * The CFGAN's catalog-wide matrix products as WebAssembly SIMD (f32x4), for the threaded
 * trainer (train-threads.ts): one generator of register-blocked products whose operand
 * layouts are byte strides baked in, so each product reads its matrices where they lie
 * (catalog-major, batch-major or transposed) without copies. A product computes
 * C[rows x n] = init + A[rows x k] B[k x n], each output's sum running over k in order, then
 * an epilogue writes it. The products' rows are whatever a thread owns (a range of catalog
 * entries, or the batch rows of a partial sum), so the threads never write the same floats.
 */
import type { WasmArena } from '../compute/arena.ts';
import {
  Code,
  F32,
  I32,
  V128,
  instantiate,
  localRun,
  moduleBytes,
  namedLocals,
  op,
  simd,
} from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';

/** Rows per register block (a partial last block takes one row at a time). */
const ROWS = 2;
/** f32x4 vectors of outputs per register block: 2 x 4 accumulators fit x64's 16 registers. */
const VECS = 4;
const I32_AND = 0x71;

/**
 * How the sums start: `zero`; `rowBias` (row r's outputs start from the float bias[r]);
 * `load` (from C itself: a product continued over more of k).
 */
export type GemmInit = 'zero' | 'rowBias' | 'load';

/**
 * What is stored, with X, Y, Z arrays laid out like C (given as byte distances from C) and s
 * a float parameter: `store` C = acc; `fake` C = acc, X = acc * Y (the generator's output and
 * its masked copy); `dout` C = acc * X + s * Y * Z; `axpy` C = acc + s * X.
 */
export type GemmEpilogue = 'store' | 'fake' | 'dout' | 'axpy';

export interface GemmSpec {
  name: string;
  /** Columns of B and C (a multiple of 4). */
  n: number;
  /** Byte distance between consecutive rows, and inner elements, of A. */
  aRow: number;
  aInner: number;
  /** Byte distance between the rows of B, and of C. */
  bRow: number;
  cRow: number;
  init: GemmInit;
  epilogue: GemmEpilogue;
}

/** `name(a, b, c, rows, k, bias, dx, dy, dz, s)`: see {@link GemmSpec}. */
export type Gemm = (
  a: number,
  b: number,
  c: number,
  rows: number,
  k: number,
  bias: number,
  dx: number,
  dy: number,
  dz: number,
  s: number,
) => void;

export function gemmFunction(spec: GemmSpec): WasmFunction {
  const { n, aRow, aInner, bRow, cRow, init, epilogue } = spec;
  if (n % 4 !== 0) throw new RangeError(`gemm ${spec.name}: ${n} columns, not a multiple of 4`);
  const f = namedLocals(
    {
      a: I32,
      b: I32,
      c: I32,
      rows: I32,
      k: I32,
      bias: I32,
      dx: I32,
      dy: I32,
      dz: I32,
      s: F32,
    },
    {
      row: I32,
      limit: I32,
      colBlock: I32,
      colLimit: I32,
      inner: I32,
      aAt: I32,
      bAt: I32,
      // The current column block's addresses in B and C.
      bCol: I32,
      cCol: I32,
      ...localRun('acc', ROWS * VECS, V128),
      ...localRun('aSplat', ROWS, V128),
      ...localRun('bVec', VECS, V128),
      sVec: V128,
    },
  );
  const l = f.index;
  const acc = (p: number, v: number) => l.acc0 + p * VECS + v;
  const c = new Code();
  const at = (ptr: number, offset: number) => c.get(ptr).simd(simd.load).mem(4, offset);
  /** One block of `rows` rows x `vb` vectors at (a, cCol, bCol). */
  const block = (rows: number, vb: number) => {
    for (let p = 0; p < rows; p++)
      for (let v = 0; v < vb; v++) {
        if (init === 'zero') c.zeroV128(acc(p, v));
        else if (init === 'load') at(l.cCol, p * cRow + 16 * v).set(acc(p, v));
        else
          c.get(l.bias)
            .simd(simd.load32Splat)
            .mem(2, 4 * p)
            .set(acc(p, v));
      }
    c.get(l.a).set(l.aAt).get(l.bCol).set(l.bAt).i32(0).set(l.inner);
    c.loopUntil(l.inner, l.k, () => {
      for (let p = 0; p < rows; p++)
        c.get(l.aAt)
          .simd(simd.load32Splat)
          .mem(2, p * aRow)
          .set(l.aSplat0 + p);
      for (let v = 0; v < vb; v++) at(l.bAt, 16 * v).set(l.bVec0 + v);
      for (let p = 0; p < rows; p++)
        for (let v = 0; v < vb; v++)
          c.get(acc(p, v))
            .get(l.aSplat0 + p)
            .get(l.bVec0 + v)
            .simd(simd.f32x4Mul)
            .simd(simd.f32x4Add)
            .set(acc(p, v));
      c.addTo(l.aAt, aInner).addTo(l.bAt, bRow).addTo(l.inner, 1);
    });
    for (let p = 0; p < rows; p++) for (let v = 0; v < vb; v++) store(p * cRow + 16 * v, acc(p, v));
    c.addTo(l.bCol, 16 * vb).addTo(l.cCol, 16 * vb);
  };
  /** The epilogue for one accumulator, at byte offset `o` from cCol. */
  const store = (o: number, a: number) => {
    const shifted = (d: number) => c.get(l.cCol).get(d).push(op.i32Add).simd(simd.load).mem(4, o);
    if (epilogue === 'fake') {
      c.get(l.cCol).get(a).simd(simd.store).mem(4, o);
      c.get(l.cCol).get(l.dx).push(op.i32Add).get(a);
      shifted(l.dy).simd(simd.f32x4Mul).simd(simd.store).mem(4, o);
      return;
    }
    c.get(l.cCol).get(a);
    if (epilogue === 'dout') {
      shifted(l.dx).simd(simd.f32x4Mul).get(l.sVec);
      shifted(l.dy).simd(simd.f32x4Mul);
      shifted(l.dz).simd(simd.f32x4Mul).simd(simd.f32x4Add);
    } else if (epilogue === 'axpy') {
      c.get(l.sVec);
      shifted(l.dx).simd(simd.f32x4Mul).simd(simd.f32x4Add);
    }
    c.simd(simd.store).mem(4, o);
  };
  /** Every column block of rows [row, row + rows), then a, bias and c move past them. */
  const rowBlock = (rows: number) => {
    c.get(l.b).set(l.bCol).get(l.c).set(l.cCol);
    const full = Math.floor(n / 4 / VECS);
    const rest = n / 4 - full * VECS;
    if (full > 0) {
      c.i32(0).set(l.colBlock).i32(full).set(l.colLimit);
      c.loopUntil(l.colBlock, l.colLimit, () => {
        block(rows, VECS);
        c.addTo(l.colBlock, 1);
      });
    }
    if (rest > 0) block(rows, rest);
    c.addTo(l.a, rows * aRow)
      .addTo(l.bias, 4 * rows)
      .addTo(l.c, rows * cRow)
      .addTo(l.row, rows);
  };
  c.get(l.s).simd(simd.f32x4Splat).set(l.sVec);
  c.i32(0).set(l.row);
  // Pairs of rows, then the odd one out.
  c.get(l.rows).i32(-ROWS).push(I32_AND).set(l.limit);
  c.loopUntil(l.row, l.limit, () => rowBlock(ROWS));
  c.loopUntil(l.row, l.rows, () => rowBlock(1));
  return { name: spec.name, params: f.params, locals: f.locals, code: c };
}

/** The products of one batch width, bound to a (shared) arena. */
export interface GanGemms {
  /** outT = w2T h^T + b2 (rows: catalog entries), fakeT = outT * mask. */
  fwd: Gemm;
  /** D's hidden pre-activation over some catalog rows, first chunk and the rest. */
  hf0: Gemm;
  hf: Gemm;
  /** D's fake-part gradient rows: gWx = fakeT daf. */
  gwx: Gemm;
  /** doutT = (wx daf^T) * mask + s * zr * outT. */
  dout: Gemm;
  /** gW2T = doutT h + s * w2T. */
  gw2: Gemm;
  /** G's hidden gradient over some catalog rows, first chunk and the rest. */
  dh0: Gemm;
  dh: Gemm;
}

/**
 * The CFGAN products for batches padded to `np` columns (a multiple of 4), with the
 * generator's and discriminator's hidden sizes padded to hGp and hDp. Layouts: catalog-major
 * w2T [catalog x hGp], wx [catalog x hDp], outT / fakeT / doutT / mask / zr
 * [catalog x np]; batch-major h [np x hGp], daf [np x hDp]; hT [hGp x np], dafT [hDp x np].
 */
export function ganGemmFunctions(s: { np: number; hGp: number; hDp: number }): WasmFunction[] {
  const { np, hGp, hDp } = s;
  const f = (
    name: keyof GanGemms,
    rest: Omit<GemmSpec, 'name' | 'init' | 'epilogue'>,
    init: GemmInit = 'zero',
    epilogue: GemmEpilogue = 'store',
  ) => gemmFunction({ name, ...rest, init, epilogue });
  const partialHf = { n: hDp, aRow: 4, aInner: 4 * np, bRow: 4 * hDp, cRow: 4 * hDp };
  const partialDh = { n: hGp, aRow: 4, aInner: 4 * np, bRow: 4 * hGp, cRow: 4 * hGp };
  return [
    f('fwd', { n: np, aRow: 4 * hGp, aInner: 4, bRow: 4 * np, cRow: 4 * np }, 'rowBias', 'fake'),
    f('hf0', partialHf),
    f('hf', partialHf, 'load'),
    f('gwx', { n: hDp, aRow: 4 * np, aInner: 4, bRow: 4 * hDp, cRow: 4 * hDp }),
    f('dout', { n: np, aRow: 4 * hDp, aInner: 4, bRow: 4 * np, cRow: 4 * np }, 'zero', 'dout'),
    f('gw2', { n: hGp, aRow: 4 * np, aInner: 4, bRow: 4 * hGp, cRow: 4 * hGp }, 'zero', 'axpy'),
    f('dh0', partialDh),
    f('dh', partialDh, 'load'),
  ];
}

export function ganGemms(arena: WasmArena, s: { np: number; hGp: number; hDp: number }): GanGemms {
  const e = instantiate(moduleBytes(ganGemmFunctions(s), arena.shared), arena.memory);
  return e as unknown as GanGemms;
}
