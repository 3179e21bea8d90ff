/**
 * Adam (LazyAdam.apply) in WebAssembly SIMD, bit-identical to the JS reference: float64
 * arithmetic (f64x2, two floats at a time) with the same operations in the same order, each
 * moment and parameter stored rounded to float32 as a Float32Array store does. So a run may
 * switch between this and the JS loop (e.g. resume without SIMD) and repeat itself exactly.
 * The function builders go into a caller's module (the CFGAN's row kernels), whose arrays
 * live in one wasm memory addressed by byte offset.
 */
import { Code, F64, I32, V128, namedLocals, op, simd } from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';

export type AdamParams = [
  rate: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  eps: number,
];
export type AdamRows = (
  rows: number,
  count: number,
  param: number,
  m: number,
  v: number,
  grad: number,
  ...p: AdamParams
) => void;
export type AdamDense = (
  groups: number,
  param: number,
  m: number,
  v: number,
  grad: number,
  ...p: AdamParams
) => void;

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

const SCALARS = { rate: F64, b1: F64, c1: F64, b2: F64, c2: F64, eps: F64 };
const VECTORS = { rateV: V128, b1V: V128, c1V: V128, b2V: V128, c2V: V128, epsV: V128 };
const TEMPS = { g: V128, mi: V128, vi: V128, sg: F64, smi: F64, svi: F64 };

type Named = Record<keyof typeof SCALARS | keyof typeof VECTORS | keyof typeof TEMPS, number>;

/** The Adam locals of a function declared with SCALARS, VECTORS and TEMPS, and its row pointers. */
function adamLocals(l: Named, pp: number, pm: number, pv: number, pg: number): AdamLocals {
  return {
    pp,
    pm,
    pv,
    pg,
    scalars: { rate: l.rate, b1: l.b1, c1: l.c1, b2: l.b2, c2: l.c2, eps: l.eps },
    vec: { rate: l.rateV, b1: l.b1V, c1: l.c1V, b2: l.b2V, c2: l.c2V, eps: l.epsV },
    g: l.g,
    mi: l.mi,
    vi: l.vi,
    sg: l.sg,
    smi: l.smi,
    svi: l.svi,
  };
}

/**
 * adamRows(rows, count, param, m, v, grad, rate, b1, 1 - b1, b2, 1 - b2, eps): the lazy
 * Adam update of each listed row (of dim floats) from grad row k.
 */
export function adamRowsFunction(dim: number): WasmFunction {
  const f = namedLocals(
    { rows: I32, count: I32, param: I32, m: I32, v: I32, grad: I32, ...SCALARS },
    { k: I32, pp: I32, pm: I32, pv: I32, ...VECTORS, ...TEMPS },
  );
  const l = f.index;
  const adam = adamLocals(l, l.pp, l.pm, l.pv, l.grad);
  const rowBytes = 4 * dim;
  const c = new Code();
  splatAll(c, adam);
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.count, () => {
    c.rowAddress(l.rows, l.param, rowBytes, l.pp);
    c.rowAddress(l.rows, l.m, rowBytes, l.pm);
    c.rowAddress(l.rows, l.v, rowBytes, l.pv);
    const pairs = dim >> 1;
    for (let k = 0; k < pairs; k++) adamPair(c, adam, 8 * k);
    if (dim % 2) adamOne(c, adam, 4 * (dim - 1));
    c.addTo(l.rows, 4).addTo(l.grad, rowBytes).addTo(l.k, 1);
  });
  return { name: 'adamRows', params: f.params, locals: f.locals, code: c };
}

/** adamDense(groups, param, m, v, grad, rate, ...): Adam on `groups` x 4 consecutive floats. */
export function adamDenseFunction(): WasmFunction {
  const f = namedLocals(
    { groups: I32, param: I32, m: I32, v: I32, grad: I32, ...SCALARS },
    { k: I32, ...VECTORS, ...TEMPS },
  );
  const l = f.index;
  const adam = adamLocals(l, l.param, l.m, l.v, l.grad);
  const c = new Code();
  splatAll(c, adam);
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.groups, () => {
    adamPair(c, adam, 0);
    adamPair(c, adam, 8);
    for (const p of [l.param, l.m, l.v, l.grad]) c.addTo(p, 16);
    c.addTo(l.k, 1);
  });
  return { name: 'adamDense', params: f.params, locals: f.locals, code: c };
}
