import { describe, expect, it } from 'vitest';
import { wasmMath } from '../../../lib/compute/wasm-math.ts';

const { exp, log1p } = wasmMath();

/** The largest relative error of `f` against `ref` over `xs`. */
function worstRelative(f: (x: number) => number, ref: (x: number) => number, xs: number[]) {
  let worst = 0;
  for (const x of xs) worst = Math.max(worst, Math.abs(f(x) - ref(x)) / Math.abs(ref(x)));
  return worst;
}

/** n + 1 points spread evenly over [a, b]. */
const span = (a: number, b: number, n: number) =>
  Array.from({ length: n + 1 }, (_, k) => a + ((b - a) * k) / n);

describe('wasm exp and log1p (what the kernels inline)', () => {
  it('exp is within 1e-10 of Math.exp wherever that is a normal double, |x| > 30 included', () => {
    const xs = [...span(-708, 709.78, 200_000), ...span(-1, 1, 10_000), -30.5, 30.5, 1e-300];
    expect(worstRelative(exp, Math.exp, xs)).toBeLessThan(1e-10);
    // Around the ends of the reduction interval, where the polynomial's error is largest.
    const edges = span(-40, 40, 80).flatMap((k) => [(k + 0.5) * Math.LN2, (k - 0.5) * Math.LN2]);
    expect(worstRelative(exp, Math.exp, edges)).toBeLessThan(1e-10);
  });

  it('exp overflows to Infinity and underflows to 0 (through the subnormals) where Math.exp does', () => {
    for (const x of [709.79, 710, 800, 1e6, Infinity]) expect(exp(x)).toBe(Infinity);
    expect(exp(709.78)).toBeLessThan(Infinity);
    for (const x of [-745.2, -746, -800, -1e6, -Infinity]) expect(exp(x)).toBe(0);
    // Subnormal results: one rounding, so within a unit of the last (subnormal) place.
    for (const x of [-709, -720, -740, -745])
      expect(Math.abs(exp(x) - Math.exp(x))).toBeLessThanOrEqual(5e-324);
    expect(exp(-745)).toBeGreaterThan(0);
    expect(exp(NaN)).toBeNaN();
    expect([exp(0), exp(-0)]).toEqual([1, 1]);
  });

  it('log1p is within 1e-10 of Math.log1p on [0, 1], down to the smallest normal t', () => {
    const ts = [...span(0, 1, 200_000).slice(1), ...span(-320, -1, 1000).map((e) => 10 ** e)];
    expect(
      worstRelative(
        log1p,
        Math.log1p,
        ts.filter((t) => t >= 2.3e-308),
      ),
    ).toBeLessThan(1e-10);
    expect(log1p(0)).toBe(0);
    // As log sigmoid uses it: t = e^-|x| for large |x|, where 1 + t would round to 1.
    for (const x of [30, 40, 100, 700]) {
      const t = Math.exp(-x);
      expect(Math.abs(log1p(t) - t) / t).toBeLessThan(1e-10);
    }
  });
});
