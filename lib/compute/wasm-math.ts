/**
 * exp and log1p for the run-time assembled WebAssembly kernels (wasm has neither), emitted
 * inline into a kernel's body in f64, so a per-sample loop never leaves wasm for them.
 *
 * - exp(x): x = k ln2 + r with |r| <= ln2 / 2 (ln2 split in two so k ln2 is exact), e^r by
 *   its Taylor polynomial of degree 9 (in Estrin's scheme: a short dependency chain), times
 *   2^k made from exponent bits in two halves, so each half is a normal double for every k
 *   and results down to the subnormals round once. Relative error below 1e-10 (the term left
 *   out, r^10 / 10!, is under 1e-11; the rest is rounding) wherever Math.exp is a normal
 *   double. x is clamped to [-746, 710] first, which gives 0 below e^-745.13 and Infinity
 *   above e^709.78 as Math.exp does; NaN stays NaN.
 * - log1p(t) for 0 <= t <= 1 (what a log sigmoid needs, with t = e^-|x|): 2 atanh(z) with
 *   z = t / (2 + t) <= 1/3, by its series to z^19. Relative error below 1e-10 (the first term
 *   left out is z^21 / 21 over z, under 2e-11) for t = 0 and every normal t, however small:
 *   no 1 + t is formed.
 *
 * tests/unit/compute/wasm-math.test.ts checks both against Math.exp and Math.log1p.
 */
import {
  Code,
  F64,
  I32,
  PAGE,
  instantiate,
  moduleBytes,
  namedLocals,
  newMemory,
  op,
  sat,
} from './wasm-writer.ts';

const LOG2E = Math.LOG2E;
// fdlibm's split of ln 2: the high part has trailing zero bits, so k * LN2_HI is exact.
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.9082149292705877e-10;
const EXP_MIN = -746;
const EXP_MAX = 710;

/** The scratch locals {@link emitExp} uses (spread into a kernel's namedLocals). */
export const EXP_LOCALS = { expR: F64, expK: F64, expR2: F64, expR4: F64, expKi: I32 };
/** The scratch locals {@link emitLog1p} uses. */
export const LOG1P_LOCALS = { logZ: F64, logW: F64 };

type Locals<L> = { readonly [K in keyof L]: number };

/** Pushes c0 + c1 r (local r). */
function linear(c: Code, r: number, c0: number, c1: number) {
  c.f64(c1).get(r).push(op.f64Mul).f64(c0).push(op.f64Add);
}

/** Leaves exp(local `x`) on the stack (f64). */
export function emitExp(c: Code, x: number, l: Locals<typeof EXP_LOCALS>): void {
  const f = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880];
  c.get(x).f64(EXP_MIN).push(op.f64Max).f64(EXP_MAX).push(op.f64Min).set(l.expR);
  c.get(l.expR).f64(LOG2E).push(op.f64Mul, op.f64Nearest).set(l.expK);
  // r = (x - k LN2_HI) - k LN2_LO
  c.get(l.expR).get(l.expK).f64(LN2_HI).push(op.f64Mul, op.f64Sub);
  c.get(l.expK).f64(LN2_LO).push(op.f64Mul, op.f64Sub).set(l.expR);
  c.get(l.expR).get(l.expR).push(op.f64Mul).set(l.expR2);
  c.get(l.expR2).get(l.expR2).push(op.f64Mul).set(l.expR4);
  // (f0 + f1 r) + r^2 (f2 + f3 r) + r^4 ((f4 + f5 r) + r^2 (f6 + f7 r) + r^4 (f8 + f9 r))
  linear(c, l.expR, f[0]!, f[1]!);
  c.get(l.expR2);
  linear(c, l.expR, f[2]!, f[3]!);
  c.push(op.f64Mul, op.f64Add);
  c.get(l.expR4);
  linear(c, l.expR, f[4]!, f[5]!);
  c.get(l.expR2);
  linear(c, l.expR, f[6]!, f[7]!);
  c.push(op.f64Mul, op.f64Add);
  c.get(l.expR4);
  linear(c, l.expR, f[8]!, f[9]!);
  c.push(op.f64Mul, op.f64Add);
  c.push(op.f64Mul, op.f64Add);
  // times 2^(k >> 1) and 2^(k - (k >> 1)); k is in [-1076, 1024], so both are normal.
  c.get(l.expK).push(op.sat, sat.i32TruncF64S).set(l.expKi);
  c.get(l.expKi).i32(1).push(op.i32ShrS);
  powerOfTwo(c);
  c.push(op.f64Mul);
  c.get(l.expKi).get(l.expKi).i32(1).push(op.i32ShrS, op.i32Sub);
  powerOfTwo(c);
  c.push(op.f64Mul);
}

/** Replaces the i32 e on the stack (-1022 <= e <= 1023) by the f64 2^e. */
function powerOfTwo(c: Code) {
  c.i32(1023).push(op.i32Add, op.i64ExtendI32U).i64(52).push(op.i64Shl, op.f64ReinterpretI64);
}

/** Leaves log1p(local `t`) on the stack (f64), for 0 <= t <= 1. */
export function emitLog1p(c: Code, t: number, l: Locals<typeof LOG1P_LOCALS>): void {
  c.get(t).f64(2).get(t).push(op.f64Add, op.f64Div).set(l.logZ);
  c.get(l.logZ).get(l.logZ).push(op.f64Mul).set(l.logW);
  // 2 z (1 + w/3 + w^2/5 + ... + w^9/19), by Horner's rule in w = z^2.
  const terms = 10;
  c.f64(1 / (2 * terms - 1));
  for (let n = terms - 2; n >= 0; n--)
    c.get(l.logW)
      .push(op.f64Mul)
      .f64(1 / (2 * n + 1))
      .push(op.f64Add);
  c.get(l.logZ).push(op.f64Mul).f64(2).push(op.f64Mul);
}

/** exp and log1p as callable wasm functions: the code the kernels inline, to test. */
export function wasmMath(): { exp: (x: number) => number; log1p: (t: number) => number } {
  const e = namedLocals({ x: F64 }, EXP_LOCALS);
  const expCode = new Code();
  emitExp(expCode, e.index.x, e.index);
  const g = namedLocals({ t: F64 }, LOG1P_LOCALS);
  const logCode = new Code();
  emitLog1p(logCode, g.index.t, g.index);
  const bytes = moduleBytes([
    { name: 'exp', params: e.params, locals: e.locals, code: expCode, results: [F64] },
    { name: 'log1p', params: g.params, locals: g.locals, code: logCode, results: [F64] },
  ]);
  const exports = instantiate(bytes, newMemory(PAGE));
  return {
    exp: exports.exp as (x: number) => number,
    log1p: exports.log1p as (t: number) => number,
  };
}
