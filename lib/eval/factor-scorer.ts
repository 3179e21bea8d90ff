import type { Scorer } from './types.ts';
import { WasmDotKernel, wasmDotBytes, wasmSimdAvailable } from './wasm-dot.ts';

/** Options of {@link DotProductScorer}. */
export interface DotProductOptions {
  /** Added to every score of item i (e.g. a learned item bias). */
  itemBias?: Float32Array;
  /**
   * `wasm`: the WebAssembly SIMD kernel (float32 sums); `js`: scalar loops (float64 sums);
   * `auto`: wasm when the runtime supports SIMD and the item factors fit in a 2 GiB wasm
   * memory. @default 'auto'
   */
  backend?: 'auto' | 'wasm' | 'js';
}

/**
 * Scores a factor model (BPR-MF, the GMF half of NeuMF, ...) on the CPU: score(u, i) =
 * <P_u, Q_i> (+ b_i). Factors are row-major: `userFactors[u * dim + f]`,
 * `itemFactors[i * dim + f]`. Uses the WebAssembly SIMD kernel when available, else plain
 * loops blocked 4 users at a time so each item row read serves four dot products.
 */
export class DotProductScorer implements Scorer {
  readonly nUsers: number;
  readonly nItems: number;
  /** The backend actually used. */
  readonly backend: 'wasm' | 'js';
  private readonly itemBias: Float32Array | undefined;
  private readonly kernel: WasmDotKernel | undefined;

  constructor(
    private readonly userFactors: Float32Array,
    private readonly itemFactors: Float32Array,
    readonly dim: number,
    options: DotProductOptions = {},
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be >= 1, got ${dim}`);
    if (userFactors.length % dim !== 0 || itemFactors.length % dim !== 0) {
      throw new RangeError(`factor arrays must be multiples of dim ${dim}`);
    }
    this.nUsers = userFactors.length / dim;
    this.nItems = itemFactors.length / dim;
    if (options.itemBias && options.itemBias.length !== this.nItems) {
      throw new RangeError(
        `itemBias has ${options.itemBias.length} entries, expected ${this.nItems}`,
      );
    }
    this.itemBias = options.itemBias;
    const want = options.backend ?? 'auto';
    // Catalogs too large for one 2 GiB wasm memory fall back to scalar loops.
    const fits = wasmDotBytes(this.nItems, dim) <= 2 ** 31 - 65536;
    const simd = want !== 'js' && fits && wasmSimdAvailable();
    if (want === 'wasm' && !simd) {
      throw new Error(
        fits ? 'WebAssembly SIMD is not available here' : 'the catalog is too large for wasm',
      );
    }
    this.backend = simd ? 'wasm' : 'js';
    this.kernel = simd ? new WasmDotKernel(itemFactors, this.nItems, dim) : undefined;
  }

  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    const n = userIds.length;
    if (out.length < n * this.nItems) throw new RangeError('score buffer is too small');
    for (let r = 0; r < n; r++) {
      const u = userIds[r]!;
      if (u < 0 || u >= this.nUsers) throw new RangeError(`user ${u} has no factors`);
    }
    if (this.kernel) this.kernel.score(this.userFactors, userIds, out);
    else this.scoreJs(userIds, out);
    const bias = this.itemBias;
    if (bias) {
      const nItems = this.nItems;
      for (let r = 0; r < n; r++) {
        const o = r * nItems;
        for (let i = 0; i < nItems; i++) out[o + i]! += bias[i]!;
      }
    }
  }

  private scoreJs(userIds: Int32Array, out: Float32Array): void {
    const { dim, nItems, itemFactors: Q, userFactors: P } = this;
    const n = userIds.length;
    let r = 0;
    for (; r + 4 <= n; r += 4) {
      const a = userIds[r]! * dim;
      const b = userIds[r + 1]! * dim;
      const c = userIds[r + 2]! * dim;
      const d = userIds[r + 3]! * dim;
      const o = r * nItems;
      for (let i = 0; i < nItems; i++) {
        const q = i * dim;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let f = 0; f < dim; f++) {
          const x = Q[q + f]!;
          s0 += P[a + f]! * x;
          s1 += P[b + f]! * x;
          s2 += P[c + f]! * x;
          s3 += P[d + f]! * x;
        }
        out[o + i] = s0;
        out[o + nItems + i] = s1;
        out[o + 2 * nItems + i] = s2;
        out[o + 3 * nItems + i] = s3;
      }
    }
    for (; r < n; r++) {
      const a = userIds[r]! * dim;
      const o = r * nItems;
      for (let i = 0; i < nItems; i++) {
        const q = i * dim;
        let s = 0;
        for (let f = 0; f < dim; f++) s += P[a + f]! * Q[q + f]!;
        out[o + i] = s;
      }
    }
  }
}
