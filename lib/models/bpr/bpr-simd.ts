/**
 * BPR-MF's batch math as WebAssembly SIMD (f32x4), assembled at run time with the embedding
 * size baked in and its loops fully unrolled: the dot products of each sample, then each
 * sample's gradient rows added into its rows' sums (the lazy Adam step after it is
 * adam-simd.ts), and plain SGD's whole per-sample loop (`sgd`, with its exp and log1p from
 * wasm-math.ts). The tables, biases and sample columns live in one wasm memory (a
 * {@link WasmArena}); the kernel reads them in place by byte offset. For Adam's batches JS
 * keeps the per-sample scalar part (the sigmoid and log) and the item biases.
 *
 * Vector arithmetic is float32 throughout (as in tfjs and BLAS), so results differ from the
 * float64 JS loops in the last bits; for a given input they are the same on every run.
 */
import {
  Code,
  F32,
  F64,
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
import { EXP_LOCALS, LOG1P_LOCALS, emitExp, emitLog1p } from '../../compute/wasm-math.ts';

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

/** See {@link sgdFunction}. */
type Sgd = (
  n: number,
  user: number,
  pos: number,
  neg: number,
  weight: number,
  users: number,
  items: number,
  bias: number,
  lr: number,
  d: number,
  sums: number,
) => void;

/** The entry points, bound to one arena's memory. */
export class BprSimd {
  readonly dots: Dots;
  readonly grads: Grads;
  readonly sgd: Sgd;

  constructor(
    arena: WasmArena,
    readonly dim: number,
  ) {
    const exports = instantiate(assembleBprSimd(dim, arena.shared), arena.memory);
    this.dots = exports.dots as Dots;
    this.grads = exports.grads as Grads;
    this.sgd = exports.sgd as Sgd;
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
      sgdFunction(rowBytes, vectors),
    ],
    shared,
  );
}

/**
 * sgd(n, user, pos, neg, weight, users, items, bias, lr, d, sums): plain SGD
 * (`model.optimizer: sgd`) over the n samples whose columns start at the byte offsets user,
 * pos, neg (i32) and weight (f32), one step per sample in order, each on the rows and
 * biases as the previous step left them. Per sample, with x = <U, I - J> + b_i - b_j (the dot
 * in f32, the sum in f64) and t = e^-|x|:
 *
 *   a = lr w sigmoid(-x) = lr w (x >= 0 ? t : 1) / (1 + t)
 *   b_i += a, then b_j -= a (rounded to f32 each)
 *   U = d U + a (I - J), I = d I + a U, J = d J - a U (the old U; a and d in f32)
 *
 * and it adds |U|^2 + |I|^2 + |J|^2 (f32) and w log sigmoid(x) = w (min(x, 0) - log1p(t)),
 * as scored before the step, to the two f64 at `sums`. The positive and the negative may be
 * one item: its bias takes both updates in turn, and its row the negative's (stored last).
 */
function sgdFunction(rowBytes: number, vectors: number): WasmFunction {
  const f = namedLocals(
    {
      n: I32,
      user: I32,
      pos: I32,
      neg: I32,
      weight: I32,
      users: I32,
      items: I32,
      bias: I32,
      lr: F64,
      d: F32,
      sums: I32,
    },
    {
      q: I32,
      uRow: I32,
      iRow: I32,
      jRow: I32,
      // The byte addresses of the positive's and the negative's bias.
      iBias: I32,
      jBias: I32,
      ...EXP_LOCALS,
      ...LOG1P_LOCALS,
      x: F64,
      negAbsX: F64,
      t: F64,
      w: F64,
      a: F64,
      reg: F64,
      logLik: F64,
      ...SAMPLE_VECTORS,
      aV: V128,
      dV: V128,
    },
  );
  const l = f.index;
  const c = new Code();
  c.get(l.d).simd(simd.f32x4Splat).set(l.dV);
  c.get(l.sums).push(op.f64Load, 3, 0).set(l.reg);
  c.get(l.sums).push(op.f64Load, 3, 8).set(l.logLik);
  c.i32(0).set(l.q);
  c.loopUntil(l.q, l.n, () => {
    c.rowAddress(l.user, l.users, rowBytes, l.uRow);
    c.rowAddress(l.pos, l.items, rowBytes, l.iRow);
    c.rowAddress(l.neg, l.items, rowBytes, l.jRow);
    c.rowAddress(l.pos, l.bias, 4, l.iBias);
    c.rowAddress(l.neg, l.bias, 4, l.jBias);
    sampleDot(c, l, vectors);
    // x = (dot + b_i) - b_j
    lanesSum(c, l.acc);
    c.push(op.f64PromoteF32).get(l.iBias).push(op.f32Load, 2, 0, op.f64PromoteF32, op.f64Add);
    c.get(l.jBias).push(op.f32Load, 2, 0, op.f64PromoteF32, op.f64Sub).set(l.x);
    c.get(l.reg);
    lanesSum(c, l.accSq);
    c.push(op.f64PromoteF32, op.f64Add).set(l.reg);
    c.get(l.weight).push(op.f32Load, 2, 0, op.f64PromoteF32).set(l.w);
    c.get(l.x).push(op.f64Abs, op.f64Neg).set(l.negAbsX);
    emitExp(c, l.negAbsX, l);
    c.set(l.t);
    // a = lr w (x >= 0 ? t : 1) / (1 + t)
    c.get(l.lr).get(l.w).push(op.f64Mul);
    c.get(l.t).f64(1).get(l.x).f64(0).push(op.f64Ge, op.select, op.f64Mul);
    c.f64(1).get(l.t).push(op.f64Add, op.f64Div).set(l.a);
    // logLik += w (min(x, 0) - log1p(t))
    c.get(l.logLik).get(l.w).get(l.x).f64(0).push(op.f64Min);
    emitLog1p(c, l.t, l);
    c.push(op.f64Sub, op.f64Mul, op.f64Add).set(l.logLik);
    c.get(l.iBias).get(l.iBias).push(op.f32Load, 2, 0, op.f64PromoteF32).get(l.a);
    c.push(op.f64Add, op.f32DemoteF64, op.f32Store, 2, 0);
    c.get(l.jBias).get(l.jBias).push(op.f32Load, 2, 0, op.f64PromoteF32).get(l.a);
    c.push(op.f64Sub, op.f32DemoteF64, op.f32Store, 2, 0);
    c.get(l.a).push(op.f32DemoteF64).simd(simd.f32x4Splat).set(l.aV);
    sampleStep(c, l, vectors);
    for (const p of [l.user, l.pos, l.neg, l.weight]) c.addTo(p, 4);
    c.addTo(l.q, 1);
  });
  c.get(l.sums).get(l.reg).push(op.f64Store, 3, 0);
  c.get(l.sums).get(l.logLik).push(op.f64Store, 3, 8);
  return { name: 'sgd', params: f.params, locals: f.locals, code: c };
}

/** The locals {@link sampleStep} uses: the rows' byte addresses, a and d splat, the rows. */
interface SampleStepLocals {
  uRow: number;
  iRow: number;
  jRow: number;
  aV: number;
  dV: number;
  u: number;
  i: number;
  j: number;
}

/** One sample's SGD step on its three rows (the positive's row is stored before the negative's). */
function sampleStep(c: Code, l: SampleStepLocals, vectors: number) {
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
