import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../../../lib/training/random.ts';
import { DotProductScorer } from '../../../lib/eval/factor-scorer.ts';
import { assembleKernel, wasmSimdAvailable } from '../../../lib/eval/wasm-dot.ts';

// Node has WebAssembly; the project's TypeScript lib set (no DOM) just does not declare it.
const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } })
  .WebAssembly;

function factors(seed: number, rows: number, dim: number): Float32Array {
  const rng = new SplitMix32(seed);
  return Float32Array.from({ length: rows * dim }, () => rng.normal());
}

/** float64 reference dot products. */
function reference(
  P: Float32Array,
  Q: Float32Array,
  dim: number,
  ids: number[],
  bias?: Float32Array,
) {
  const nItems = Q.length / dim;
  const out = new Float64Array(ids.length * nItems);
  ids.forEach((u, r) => {
    for (let i = 0; i < nItems; i++) {
      let s = bias ? bias[i]! : 0;
      for (let f = 0; f < dim; f++) s += P[u * dim + f]! * Q[i * dim + f]!;
      out[r * nItems + i] = s;
    }
  });
  return out;
}

describe('DotProductScorer', () => {
  it('the SIMD kernel assembles into valid WebAssembly here', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(wasm.validate(assembleKernel(64, 10016))).toBe(true);
    expect(wasm.validate(assembleKernel(3, 16, 1, 1))).toBe(true);
  });

  // Odd user counts, item counts that are not a multiple of the panel width, a dimension
  // that is not a multiple of 4, and more users than one kernel chunk (64).
  for (const [nUsers, nItems, dim] of [
    [7, 37, 5],
    [130, 100, 16],
    [3, 1, 64],
  ] as const) {
    for (const backend of ['wasm', 'js'] as const) {
      it(`${backend}: ${nUsers} users x ${nItems} items x ${dim} factors match float64 sums`, () => {
        const P = factors(1, nUsers, dim);
        const Q = factors(2, nItems, dim);
        const bias = factors(3, nItems, 1);
        const scorer = new DotProductScorer(P, Q, dim, { backend, itemBias: bias });
        expect(scorer.backend).toBe(backend);
        const ids = Array.from({ length: nUsers }, (_, r) => (r * 5) % nUsers).reverse();
        const out = new Float32Array(ids.length * nItems);
        scorer.scoreUsers(Int32Array.from(ids), out);
        const ref = reference(P, Q, dim, ids, bias);
        let worst = 0;
        for (let k = 0; k < ref.length; k++) {
          worst = Math.max(worst, Math.abs(out[k]! - ref[k]!) / (1 + Math.abs(ref[k]!)));
        }
        // float32 accumulation over <= 64 terms of unit-variance products
        expect(worst).toBeLessThan(1e-5);
      });
    }
  }

  it('rejects unknown users and mismatched shapes', () => {
    const s = new DotProductScorer(factors(1, 2, 4), factors(2, 3, 4), 4);
    expect(() => s.scoreUsers(Int32Array.of(2), new Float32Array(3))).toThrow(/user 2/);
    expect(() => new DotProductScorer(new Float32Array(5), new Float32Array(8), 4)).toThrow();
    expect(
      () =>
        new DotProductScorer(factors(1, 2, 4), factors(2, 3, 4), 4, {
          itemBias: new Float32Array(2),
        }),
    ).toThrow(/itemBias/);
  });
});
