/**
 * BPR-MF's batch math and lazy Adam rows as WebAssembly SIMD (f32x4), assembled at run time
 * with the embedding size baked in and its loops fully unrolled. The tables, moments and
 * batch buffers live in one wasm memory (a {@link WasmArena}); the kernel reads them in
 * place by byte offset. JS keeps the per-sample scalar part (the sigmoid and log: wasm has
 * no exp) and the item biases (one float per row).
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
type Adam = (
  rows: number,
  count: number,
  param: number,
  m: number,
  v: number,
  grad: number,
  rate: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  eps: number,
) => void;

/** True when this runtime compiles the kernel and `dim` fits it (a multiple of 4). */
export function bprSimdAvailable(dim: number): boolean {
  return dim % 4 === 0 && dim > 0 && wasmValidates(() => assembleBprSimd(4));
}

/** The three entry points, bound to one arena's memory. */
export class BprSimd {
  readonly dots: Dots;
  readonly grads: Grads;
  readonly adam: Adam;

  constructor(
    arena: WasmArena,
    readonly dim: number,
  ) {
    const exports = instantiate(assembleBprSimd(dim), arena.memory);
    this.dots = exports.dots as Dots;
    this.grads = exports.grads as Grads;
    this.adam = exports.adam as Adam;
  }
}

const load = (c: Code, ptr: number, offset: number, into: number) =>
  c.get(ptr).simd(simd.load).mem(4, offset).set(into);

/** Row address: base + i32.load(idx) * rowBytes, into local `into`; idx advances by 4. */
function rowAddress(c: Code, idx: number, base: number, rowBytes: number, into: number) {
  c.get(idx)
    .push(op.i32Load, ...[2, 0])
    .i32(rowBytes)
    .push(op.i32Mul)
    .get(base)
    .push(op.i32Add)
    .set(into);
}

/** Sum of the four lanes of a v128 local, left on the stack as f32. */
function lanesSum(c: Code, v: number) {
  c.get(v).simd(simd.f32x4ExtractLane).push(0);
  for (let lane = 1; lane < 4; lane++)
    c.get(v).simd(simd.f32x4ExtractLane).push(lane).push(op.f32Add);
}

export function assembleBprSimd(dim: number): Uint8Array {
  const rowBytes = dim * 4;
  const vectors = dim / 4;
  return moduleBytes([
    dotsFunction(rowBytes, vectors),
    gradsFunction(rowBytes, vectors),
    adamFunction(rowBytes, vectors),
  ]);
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
    rowAddress(c, USER, USERS, rowBytes, OU);
    rowAddress(c, POS, ITEMS, rowBytes, OI);
    rowAddress(c, NEG, ITEMS, rowBytes, OJ);
    c.zeroV128(ACC).zeroV128(ACCSQ);
    for (let f = 0; f < vectors; f++) {
      load(c, OU, 16 * f, U);
      load(c, OI, 16 * f, I);
      load(c, OJ, 16 * f, J);
      c.get(ACC)
        .get(U)
        .get(I)
        .get(J)
        .simd(simd.f32x4Sub)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .set(ACC);
      c.get(ACCSQ).get(U).get(U).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      c.get(I).get(I).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      c.get(J).get(J).simd(simd.f32x4Mul).simd(simd.f32x4Add).set(ACCSQ);
    }
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
    rowAddress(c, USER, USERS, rowBytes, OU);
    rowAddress(c, POS, ITEMS, rowBytes, OI);
    rowAddress(c, NEG, ITEMS, rowBytes, OJ);
    rowAddress(c, USLOT, GUSER, rowBytes, GU);
    rowAddress(c, ISLOT, GITEM, rowBytes, GI);
    rowAddress(c, JSLOT, GITEM, rowBytes, GJ);
    c.get(S).push(op.f32Load, 2, 0).simd(simd.f32x4Splat).set(SV);
    for (let f = 0; f < vectors; f++) {
      const o = 16 * f;
      load(c, OU, o, U);
      load(c, OI, o, I);
      load(c, OJ, o, J);
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

/**
 * adam(rows, count, param, m, v, grad, rate, b1, 1 - b1, b2, 1 - b2, eps): the lazy Adam
 * update of each listed row from its summed gradient (grad row k belongs to rows[k]).
 */
function adamFunction(rowBytes: number, vectors: number) {
  const [ROWS, COUNT, PARAM, M, V, GRAD, RATE, B1, C1, B2, C2, EPS] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
  ];
  const [K, PP, PM, PV] = [12, 13, 14, 15];
  const [RV, B1V, C1V, B2V, C2V, EV, G, MI, VI] = [16, 17, 18, 19, 20, 21, 22, 23, 24];
  const c = new Code();
  for (const [from, to] of [
    [RATE, RV],
    [B1, B1V],
    [C1, C1V],
    [B2, B2V],
    [C2, C2V],
    [EPS, EV],
  ] as const)
    c.get(from).simd(simd.f32x4Splat).set(to);
  c.i32(0).set(K);
  c.loopUntil(K, COUNT, () => {
    rowAddress(c, ROWS, PARAM, rowBytes, PP);
    rowAddress(c, ROWS, M, rowBytes, PM);
    rowAddress(c, ROWS, V, rowBytes, PV);
    for (let f = 0; f < vectors; f++) {
      const o = 16 * f;
      load(c, GRAD, o, G);
      // m = b1 m + (1 - b1) g
      c.get(PM).get(B1V).get(PM).simd(simd.load).mem(4, o).simd(simd.f32x4Mul);
      c.get(C1V).get(G).simd(simd.f32x4Mul).simd(simd.f32x4Add).tee(MI).simd(simd.store).mem(4, o);
      // v = b2 v + (1 - b2) g^2
      c.get(PV).get(B2V).get(PV).simd(simd.load).mem(4, o).simd(simd.f32x4Mul);
      c.get(C2V).get(G).get(G).simd(simd.f32x4Mul).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      c.tee(VI).simd(simd.store).mem(4, o);
      // p -= rate m / (sqrt(v) + eps)
      c.get(PP).get(PP).simd(simd.load).mem(4, o);
      c.get(RV)
        .get(MI)
        .simd(simd.f32x4Mul)
        .get(VI)
        .simd(simd.f32x4Sqrt)
        .get(EV)
        .simd(simd.f32x4Add);
      c.simd(simd.f32x4Div).simd(simd.f32x4Sub).simd(simd.store).mem(4, o);
    }
    c.addTo(ROWS, 4).addTo(GRAD, rowBytes).addTo(K, 1);
  });
  return {
    name: 'adam',
    params: [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32],
    locals: [
      [4, I32],
      [9, V128],
    ] as [number, number][],
    code: c,
  };
}
