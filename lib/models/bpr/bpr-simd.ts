/**
 * BPR-MF's batch math as WebAssembly SIMD (f32x4), assembled at run time with the embedding
 * size baked in and its loops fully unrolled: the dot products of each sample, then each
 * sample's gradient rows added into its rows' sums (the lazy Adam step after it is
 * adam-simd.ts). The tables and batch buffers live in one wasm memory (a
 * {@link WasmArena}); the kernel reads them in place by byte offset. JS keeps the per-sample
 * scalar part (the sigmoid and log: wasm has no exp) and the item biases (one float per row).
 *
 * Arithmetic is float32 throughout (as in tfjs and BLAS), so results differ from the
 * float64 JS loops in the last bits; for a given input they are the same on every run.
 */
import {
  Code,
  F32,
  I32,
  V128,
  instantiate,
  moduleBytes,
  namedLocals,
  op,
  simd,
  wasmValidates,
} from '../../compute/wasm-writer.ts';
import type { WasmFunction } from '../../compute/wasm-writer.ts';
import type { WasmArena } from '../../compute/arena.ts';

type Dots = (
  n: number,
  user: number,
  pos: number,
  neg: number,
  users: number,
  items: number,
  x: number,
  sq: number,
) => void;
type Grads = (
  n: number,
  user: number,
  pos: number,
  neg: number,
  uSlot: number,
  iSlot: number,
  jSlot: number,
  users: number,
  items: number,
  gUser: number,
  gItem: number,
  s: number,
  decay: number,
) => void;

/** True when this runtime compiles the kernel and `dim` fits it (a multiple of 4). */
export function bprSimdAvailable(dim: number): boolean {
  return dim % 4 === 0 && dim > 0 && wasmValidates(() => assembleBprSimd(4));
}

/** sgdDot(u, i, j, sq): <U, I - J> of three rows given by byte offset; |U|^2+|I|^2+|J|^2 to sq. */
type SgdDot = (u: number, i: number, j: number, sq: number) => number;
/** sgdStep(u, i, j, a, d): U = d U + a (I - J), I = d I + a U, J = d J - a U (old U). */
type SgdStep = (u: number, i: number, j: number, a: number, d: number) => void;

/** The entry points, bound to one arena's memory. */
export class BprSimd {
  readonly dots: Dots;
  readonly grads: Grads;
  readonly sgdDot: SgdDot;
  readonly sgdStep: SgdStep;

  constructor(
    arena: WasmArena,
    readonly dim: number,
  ) {
    const exports = instantiate(assembleBprSimd(dim, arena.shared), arena.memory);
    this.dots = exports.dots as Dots;
    this.grads = exports.grads as Grads;
    this.sgdDot = exports.sgdDot as SgdDot;
    this.sgdStep = exports.sgdStep as SgdStep;
  }
}

/** Sum of the four lanes of a v128 local, left on the stack as f32. */
function lanesSum(c: Code, v: number) {
  c.get(v).simd(simd.f32x4ExtractLane).push(0);
  for (let lane = 1; lane < 4; lane++)
    c.get(v).simd(simd.f32x4ExtractLane).push(lane).push(op.f32Add);
}

/** The locals {@link sampleDot} uses: the three rows' byte addresses, then v128s. */
interface SampleDotLocals {
  uRow: number;
  iRow: number;
  jRow: number;
  acc: number;
  accSq: number;
  u: number;
  i: number;
  j: number;
}

/**
 * acc = <U, I - J> and accSq = |U|^2 + |I|^2 + |J|^2 lane-wise, over the rows whose byte
 * addresses are in uRow, iRow and jRow (u, i and j hold the loaded vectors).
 */
function sampleDot(c: Code, l: SampleDotLocals, vectors: number) {
  c.zeroV128(l.acc).zeroV128(l.accSq);
  for (let f = 0; f < vectors; f++) {
    c.loadV128(l.uRow, 16 * f, l.u);
    c.loadV128(l.iRow, 16 * f, l.i);
    c.loadV128(l.jRow, 16 * f, l.j);
    c.get(l.acc).get(l.u).get(l.i).get(l.j);
    c.simd(simd.f32x4Sub).simd(simd.f32x4Mul).simd(simd.f32x4Add).set(l.acc);
    c.get(l.accSq).get(l.u).get(l.u).simd(simd.f32x4Mul).simd(simd.f32x4Add);
    c.get(l.i).get(l.i).simd(simd.f32x4Mul).simd(simd.f32x4Add);
    c.get(l.j).get(l.j).simd(simd.f32x4Mul).simd(simd.f32x4Add).set(l.accSq);
  }
}

/** The v128 locals of {@link sampleDot}, in the order every caller declares them. */
const SAMPLE_VECTORS = { acc: V128, accSq: V128, u: V128, i: V128, j: V128 };

/** The kernel for `dim`; `shared`: for a memory that threads share. */
export function assembleBprSimd(dim: number, shared = false): Uint8Array {
  const rowBytes = dim * 4;
  const vectors = dim / 4;
  return moduleBytes(
    [
      dotsFunction(rowBytes, vectors),
      gradsFunction(rowBytes, vectors),
      sgdDotFunction(vectors),
      sgdStepFunction(vectors),
    ],
    shared,
  );
}

/**
 * One sample's dot product for plain SGD (`model.optimizer: sgd`), where each sample's
 * update must see the previous one's, so samples go one at a time: JS computes the sigmoid
 * (wasm has no exp) between this and sgdStep.
 */
function sgdDotFunction(vectors: number): WasmFunction {
  const f = namedLocals({ uRow: I32, iRow: I32, jRow: I32, sq: I32 }, SAMPLE_VECTORS);
  const l = f.index;
  const c = new Code();
  sampleDot(c, l, vectors);
  c.get(l.sq);
  lanesSum(c, l.accSq);
  c.push(op.f32Store, 2, 0);
  lanesSum(c, l.acc);
  return { name: 'sgdDot', params: f.params, locals: f.locals, code: c, results: [F32] };
}

/** One sample's SGD step on its three rows (the positive's row is stored before the negative's). */
function sgdStepFunction(vectors: number): WasmFunction {
  const f = namedLocals(
    { uRow: I32, iRow: I32, jRow: I32, a: F32, d: F32 },
    { aV: V128, dV: V128, u: V128, i: V128, j: V128 },
  );
  const l = f.index;
  const c = new Code();
  c.get(l.a).simd(simd.f32x4Splat).set(l.aV);
  c.get(l.d).simd(simd.f32x4Splat).set(l.dV);
  for (let k = 0; k < vectors; k++) {
    const o = 16 * k;
    c.loadV128(l.uRow, o, l.u);
    c.loadV128(l.iRow, o, l.i);
    c.loadV128(l.jRow, o, l.j);
    // U = d U + a (I - J)
    c.get(l.uRow).get(l.dV).get(l.u).simd(simd.f32x4Mul);
    c.get(l.aV).get(l.i).get(l.j).simd(simd.f32x4Sub).simd(simd.f32x4Mul);
    c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    // I = d I + a U
    c.get(l.iRow).get(l.dV).get(l.i).simd(simd.f32x4Mul).get(l.aV).get(l.u).simd(simd.f32x4Mul);
    c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    // J = d J - a U
    c.get(l.jRow).get(l.dV).get(l.j).simd(simd.f32x4Mul).get(l.aV).get(l.u).simd(simd.f32x4Mul);
    c.simd(simd.f32x4Sub).simd(simd.store).mem(4, o);
  }
  return { name: 'sgdStep', params: f.params, locals: f.locals, code: c };
}

/**
 * dots(n, user, pos, neg, users, items, x, sq): per sample k, x[k] = <U_u, I_i - I_j> and
 * sq[k] = |U_u|^2 + |I_i|^2 + |I_j|^2 (biases are added in JS).
 */
function dotsFunction(rowBytes: number, vectors: number): WasmFunction {
  const f = namedLocals(
    { n: I32, user: I32, pos: I32, neg: I32, users: I32, items: I32, x: I32, sq: I32 },
    { k: I32, uRow: I32, iRow: I32, jRow: I32, ...SAMPLE_VECTORS },
  );
  const l = f.index;
  const c = new Code();
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.n, () => {
    c.rowAddress(l.user, l.users, rowBytes, l.uRow);
    c.rowAddress(l.pos, l.items, rowBytes, l.iRow);
    c.rowAddress(l.neg, l.items, rowBytes, l.jRow);
    sampleDot(c, l, vectors);
    c.get(l.x);
    lanesSum(c, l.acc);
    c.push(op.f32Store, 2, 0);
    c.get(l.sq);
    lanesSum(c, l.accSq);
    c.push(op.f32Store, 2, 0);
    for (const p of [l.user, l.pos, l.neg, l.x, l.sq]) c.addTo(p, 4);
    c.addTo(l.k, 1);
  });
  return { name: 'dots', params: f.params, locals: f.locals, code: c };
}

/**
 * grads(n, user, pos, neg, uSlot, iSlot, jSlot, users, items, gUser, gItem, s, decay): per
 * sample k with s = s[k], adds decay U_u - s (I_i - I_j) to the user's row sum,
 * decay I_i - s U_u to the positive's and decay I_j + s U_u to the negative's, in sample
 * order (the positive's sum is stored before the negative's is read: they may be one row).
 */
function gradsFunction(rowBytes: number, vectors: number): WasmFunction {
  const f = namedLocals(
    {
      n: I32,
      user: I32,
      pos: I32,
      neg: I32,
      uSlot: I32,
      iSlot: I32,
      jSlot: I32,
      users: I32,
      items: I32,
      gUser: I32,
      gItem: I32,
      s: I32,
      decay: F32,
    },
    {
      k: I32,
      uRow: I32,
      iRow: I32,
      jRow: I32,
      // The byte addresses of the three rows' gradient sums.
      gURow: I32,
      gIRow: I32,
      gJRow: I32,
      sV: V128,
      decayV: V128,
      u: V128,
      i: V128,
      j: V128,
    },
  );
  const l = f.index;
  const c = new Code();
  c.get(l.decay).simd(simd.f32x4Splat).set(l.decayV);
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.n, () => {
    c.rowAddress(l.user, l.users, rowBytes, l.uRow);
    c.rowAddress(l.pos, l.items, rowBytes, l.iRow);
    c.rowAddress(l.neg, l.items, rowBytes, l.jRow);
    c.rowAddress(l.uSlot, l.gUser, rowBytes, l.gURow);
    c.rowAddress(l.iSlot, l.gItem, rowBytes, l.gIRow);
    c.rowAddress(l.jSlot, l.gItem, rowBytes, l.gJRow);
    c.get(l.s).push(op.f32Load, 2, 0).simd(simd.f32x4Splat).set(l.sV);
    for (let k = 0; k < vectors; k++) {
      const o = 16 * k;
      c.loadV128(l.uRow, o, l.u);
      c.loadV128(l.iRow, o, l.i);
      c.loadV128(l.jRow, o, l.j);
      // gUser += D u - s (i - j)
      c.get(l.gURow).get(l.gURow).simd(simd.load).mem(4, o);
      c.get(l.decayV)
        .get(l.u)
        .simd(simd.f32x4Mul)
        .get(l.sV)
        .get(l.i)
        .get(l.j)
        .simd(simd.f32x4Sub)
        .simd(simd.f32x4Mul);
      c.simd(simd.f32x4Sub).simd(simd.f32x4Add).simd(simd.store).mem(4, o);
      // gItem[i] += D i - s u
      c.get(l.gIRow).get(l.gIRow).simd(simd.load).mem(4, o);
      c.get(l.decayV).get(l.i).simd(simd.f32x4Mul).get(l.sV).get(l.u).simd(simd.f32x4Mul);
      c.simd(simd.f32x4Sub).simd(simd.f32x4Add).simd(simd.store).mem(4, o);
      // gItem[j] += D j + s u
      c.get(l.gJRow).get(l.gJRow).simd(simd.load).mem(4, o);
      c.get(l.decayV).get(l.j).simd(simd.f32x4Mul).get(l.sV).get(l.u).simd(simd.f32x4Mul);
      c.simd(simd.f32x4Add).simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    }
    for (const p of [l.user, l.pos, l.neg, l.uSlot, l.iSlot, l.jSlot, l.s]) c.addTo(p, 4);
    c.addTo(l.k, 1);
  });
  return { name: 'grads', params: f.params, locals: f.locals, code: c };
}
