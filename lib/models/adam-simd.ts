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
  simd,
  wasmValidates,
} from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';
import type { LazyAdam, Moments } from './lazy-adam.ts';

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
    c.rowAddress(ROWS, PARAM, rowBytes, PP);
    c.rowAddress(ROWS, M, rowBytes, PM);
    c.rowAddress(ROWS, V, rowBytes, PV);
    for (let f = 0; f < vectors; f++) {
      const o = 16 * f;
      c.loadV128(GRAD, o, G);
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
    ],
    code: c,
  };
}
