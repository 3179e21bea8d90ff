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
  moduleBytes,
  op,
  simd,
  wasmValidates,
} from '../compute/wasm-writer.ts';
import { instantiate } from '../compute/wasm-writer.ts';
import type { WasmArena } from '../compute/arena.ts';

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
    const exports = instantiate(assembleBprSimd(dim), arena.memory);
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

/**
 * acc = <U, I - J> and accSq = |U|^2 + |I|^2 + |J|^2 lane-wise, over the rows whose byte
 * addresses are in locals `rows` (v128 locals: acc, accSq and three scratch).
 */
function sampleDot(
  c: Code,
  [OU, OI, OJ]: readonly [number, number, number],
  [ACC, ACCSQ, U, I, J]: readonly [number, number, number, number, number],
  vectors: number,
) {
  c.zeroV128(ACC).zeroV128(ACCSQ);
  for (let f = 0; f < vectors; f++) {
    c.loadV128(OU, 16 * f, U);
    c.loadV128(OI, 16 * f, I);
    c.loadV128(OJ, 16 * f, J);
    c.get(ACC).get(U).get(I).get(J);
    c.simd(simd.f32x4Sub).simd(simd.f32x4Mul).simd(simd.f32x4Add).set(ACC);
    c.get(ACCSQ).get(U).get(U).simd(simd.f32x4Mul).simd(simd.f32x4Add);
    c.get(I).get(I).simd(simd.f32x4Mul).simd(simd.f32x4Add);
    c.get(J).get(J).simd(simd.f32x4Mul).simd(simd.f32x4Add).set(ACCSQ);
  }
}

export function assembleBprSimd(dim: number): Uint8Array {
  const rowBytes = dim * 4;
  const vectors = dim / 4;
  return moduleBytes([
    dotsFunction(rowBytes, vectors),
    gradsFunction(rowBytes, vectors),
    sgdDotFunction(vectors),
    sgdStepFunction(vectors),
  ]);
}

/**
 * One sample's dot product for plain SGD (`model.optimizer: sgd`), where each sample's
 * update must see the previous one's, so samples go one at a time: JS computes the sigmoid
 * (wasm has no exp) between this and sgdStep.
 */
function sgdDotFunction(vectors: number) {
  const [OU, OI, OJ, SQ] = [0, 1, 2, 3];
  const [ACC, ACCSQ, U, I, J] = [4, 5, 6, 7, 8];
  const c = new Code();
  sampleDot(c, [OU, OI, OJ], [ACC, ACCSQ, U, I, J], vectors);
  c.get(SQ);
  lanesSum(c, ACCSQ);
  c.push(op.f32Store, 2, 0);
  lanesSum(c, ACC);
  return {
    name: 'sgdDot',
    params: [I32, I32, I32, I32],
    locals: [[5, V128]] as [number, number][],
    code: c,
    results: [F32],
  };
}

/** One sample's SGD step on its three rows (the positive's row is stored before the negative's). */
function sgdStepFunction(vectors: number) {
  const [OU, OI, OJ, A, D] = [0, 1, 2, 3, 4];
  const [AV, DV, U, I, J] = [5, 6, 7, 8, 9];
  const c = new Code();
  c.get(A).simd(simd.f32x4Splat).set(AV);
  c.get(D).simd(simd.f32x4Splat).set(DV);
  for (let f = 0; f < vectors; f++) {
    const o = 16 * f;
    c.loadV128(OU, o, U);
    c.loadV128(OI, o, I);
    c.loadV128(OJ, o, J);
    // U = d U + a (I - J)
    c.get(OU).get(DV).get(U).simd(simd.f32x4Mul);
    c.get(AV).get(I).get(J).simd(simd.f32x4Sub).simd(simd.f32x4Mul);
    c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    // I = d I + a U
    c.get(OI).get(DV).get(I).simd(simd.f32x4Mul).get(AV).get(U).simd(simd.f32x4Mul);
    c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    // J = d J - a U
    c.get(OJ).get(DV).get(J).simd(simd.f32x4Mul).get(AV).get(U).simd(simd.f32x4Mul);
    c.simd(simd.f32x4Sub).simd(simd.store).mem(4, o);
  }
  return {
    name: 'sgdStep',
    params: [I32, I32, I32, F32, F32],
    locals: [[5, V128]] as [number, number][],
    code: c,
  };
}

/**
 * dots(n, user, pos, neg, users, items, x, sq): per sample k, x[k] = <U_u, I_i - I_j> and
 * sq[k] = |U_u|^2 + |I_i|^2 + |I_j|^2 (biases are added in JS).
 */
function dotsFunction(rowBytes: number, vectors: number) {
  const [N, USER, POS, NEG, USERS, ITEMS, X, SQ] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [K, OU, OI, OJ] = [8, 9, 10, 11];
  const [ACC, ACCSQ, U, I, J] = [12, 13, 14, 15, 16];
  const c = new Code();
  c.i32(0).set(K);
  c.loopUntil(K, N, () => {
    c.rowAddress(USER, USERS, rowBytes, OU);
    c.rowAddress(POS, ITEMS, rowBytes, OI);
    c.rowAddress(NEG, ITEMS, rowBytes, OJ);
    sampleDot(c, [OU, OI, OJ], [ACC, ACCSQ, U, I, J], vectors);
    c.get(X);
    lanesSum(c, ACC);
    c.push(op.f32Store, 2, 0);
    c.get(SQ);
    lanesSum(c, ACCSQ);
    c.push(op.f32Store, 2, 0);
    for (const p of [USER, POS, NEG, X, SQ]) c.addTo(p, 4);
    c.addTo(K, 1);
  });
  return {
    name: 'dots',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [
      [4, I32],
      [5, V128],
    ] as [number, number][],
    code: c,
  };
}

/**
 * grads(n, user, pos, neg, uSlot, iSlot, jSlot, users, items, gUser, gItem, s, decay): per
 * sample k with s = s[k], adds decay U_u - s (I_i - I_j) to the user's row sum,
 * decay I_i - s U_u to the positive's and decay I_j + s U_u to the negative's, in sample
 * order (the positive's sum is stored before the negative's is read: they may be one row).
 */
function gradsFunction(rowBytes: number, vectors: number) {
  const [N, USER, POS, NEG, USLOT, ISLOT, JSLOT, USERS, ITEMS, GUSER, GITEM, S, DECAY] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const [K, OU, OI, OJ, GU, GI, GJ] = [13, 14, 15, 16, 17, 18, 19];
  const [SV, D, U, I, J] = [20, 21, 22, 23, 24];
  const c = new Code();
  c.get(DECAY).simd(simd.f32x4Splat).set(D);
  c.i32(0).set(K);
  c.loopUntil(K, N, () => {
    c.rowAddress(USER, USERS, rowBytes, OU);
    c.rowAddress(POS, ITEMS, rowBytes, OI);
    c.rowAddress(NEG, ITEMS, rowBytes, OJ);
    c.rowAddress(USLOT, GUSER, rowBytes, GU);
    c.rowAddress(ISLOT, GITEM, rowBytes, GI);
    c.rowAddress(JSLOT, GITEM, rowBytes, GJ);
    c.get(S).push(op.f32Load, 2, 0).simd(simd.f32x4Splat).set(SV);
    for (let f = 0; f < vectors; f++) {
      const o = 16 * f;
      c.loadV128(OU, o, U);
      c.loadV128(OI, o, I);
      c.loadV128(OJ, o, J);
      // gUser += D u - s (i - j)
      c.get(GU).get(GU).simd(simd.load).mem(4, o);
      c.get(D)
        .get(U)
        .simd(simd.f32x4Mul)
        .get(SV)
        .get(I)
        .get(J)
        .simd(simd.f32x4Sub)
        .simd(simd.f32x4Mul);
      c.simd(simd.f32x4Sub).simd(simd.f32x4Add).simd(simd.store).mem(4, o);
      // gItem[i] += D i - s u
      c.get(GI).get(GI).simd(simd.load).mem(4, o);
      c.get(D).get(I).simd(simd.f32x4Mul).get(SV).get(U).simd(simd.f32x4Mul).simd(simd.f32x4Sub);
      c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
      // gItem[j] += D j + s u
      c.get(GJ).get(GJ).simd(simd.load).mem(4, o);
      c.get(D).get(J).simd(simd.f32x4Mul).get(SV).get(U).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    }
    for (const p of [USER, POS, NEG, USLOT, ISLOT, JSLOT, S]) c.addTo(p, 4);
    c.addTo(K, 1);
  });
  return {
    name: 'grads',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32],
    locals: [
      [7, I32],
      [5, V128],
    ] as [number, number][],
    code: c,
  };
}
