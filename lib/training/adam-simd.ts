/**
 * Lazy Adam over embedding rows in WebAssembly SIMD (f32x4), assembled at run time with the
 * row width baked in and unrolled: the same update as LazyAdam.apply, for tables, moments
 * and gradient sums that live in one wasm memory (a {@link WasmArena}). Embedding updates
 * touch a few thousand random rows per batch; in f32x4 they run about 3x faster than the JS
 * loop (BPR-MF: 1.2 -> 0.45 s per epoch of 1M samples). Float32 arithmetic throughout.
 */
import type { WasmArena } from '../compute/arena.ts';
import {
  Code,
  F32,
  I32,
  V128,
  instantiate,
  moduleBytes,
  namedLocals,
  simd,
  wasmValidates,
} from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';
import type { LazyAdam, Moments } from './adam.ts';

type AdamRows = (
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

/** True when this runtime compiles the kernel and rows of `dim` fit it (a multiple of 4). */
export function simdAdamAvailable(dim: number): boolean {
  return dim % 4 === 0 && dim > 0 && wasmValidates(() => moduleBytes([adamFunction(16, 4)]));
}

/** LazyAdam.apply for rows of `dim` floats whose arrays all live in `arena`. */
export class SimdAdam {
  private readonly run: AdamRows;

  constructor(
    private readonly arena: WasmArena,
    readonly dim: number,
  ) {
    this.run = instantiate(moduleBytes([adamFunction(dim * 4, dim / 4)]), arena.memory)
      .adam as AdamRows;
  }

  /** The update of `adam.apply(mo, param, rows, count, grad, dim, rate)`. */
  apply(
    adam: LazyAdam,
    mo: Moments,
    param: Float32Array,
    rows: Int32Array,
    count: number,
    grad: Float32Array,
    rate: number,
  ): void {
    const { beta1: b1, beta2: b2, eps } = adam;
    const at = (a: Float32Array | Int32Array) => this.arena.offsetOf(a);
    const [p, m, v] = [at(param), at(mo.m), at(mo.v)];
    this.run(at(rows), count, p, m, v, at(grad), rate, b1, 1 - b1, b2, 1 - b2, eps);
  }
}

/**
 * adam(rows, count, param, m, v, grad, rate, b1, 1 - b1, b2, 1 - b2, eps): the lazy Adam
 * update of each listed row from its summed gradient (grad row k belongs to rows[k]).
 */
function adamFunction(rowBytes: number, vectors: number): WasmFunction {
  const f = namedLocals(
    {
      rows: I32,
      count: I32,
      param: I32,
      m: I32,
      v: I32,
      grad: I32,
      rate: F32,
      b1: F32,
      c1: F32,
      b2: F32,
      c2: F32,
      eps: F32,
    },
    {
      k: I32,
      pp: I32,
      pm: I32,
      pv: I32,
      rateV: V128,
      b1V: V128,
      c1V: V128,
      b2V: V128,
      c2V: V128,
      epsV: V128,
      g: V128,
      mi: V128,
      vi: V128,
    },
  );
  const l = f.index;
  const c = new Code();
  for (const [scalar, vector] of [
    [l.rate, l.rateV],
    [l.b1, l.b1V],
    [l.c1, l.c1V],
    [l.b2, l.b2V],
    [l.c2, l.c2V],
    [l.eps, l.epsV],
  ] as const)
    c.get(scalar).simd(simd.f32x4Splat).set(vector);
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.count, () => {
    c.rowAddress(l.rows, l.param, rowBytes, l.pp);
    c.rowAddress(l.rows, l.m, rowBytes, l.pm);
    c.rowAddress(l.rows, l.v, rowBytes, l.pv);
    for (let k = 0; k < vectors; k++) {
      const o = 16 * k;
      c.loadV128(l.grad, o, l.g);
      // m = b1 m + (1 - b1) g
      c.get(l.pm).get(l.b1V).get(l.pm).simd(simd.load).mem(4, o).simd(simd.f32x4Mul);
      c.get(l.c1V).get(l.g).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      c.tee(l.mi).simd(simd.store).mem(4, o);
      // v = b2 v + (1 - b2) g^2
      c.get(l.pv).get(l.b2V).get(l.pv).simd(simd.load).mem(4, o).simd(simd.f32x4Mul);
      c.get(l.c2V).get(l.g).get(l.g).simd(simd.f32x4Mul).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      c.tee(l.vi).simd(simd.store).mem(4, o);
      // p -= rate m / (sqrt(v) + eps)
      c.get(l.pp).get(l.pp).simd(simd.load).mem(4, o);
      c.get(l.rateV).get(l.mi).simd(simd.f32x4Mul);
      c.get(l.vi).simd(simd.f32x4Sqrt).get(l.epsV).simd(simd.f32x4Add);
      c.simd(simd.f32x4Div).simd(simd.f32x4Sub).simd(simd.store).mem(4, o);
    }
    c.addTo(l.rows, 4).addTo(l.grad, rowBytes).addTo(l.k, 1);
  });
  return { name: 'adam', params: f.params, locals: f.locals, code: c };
}
