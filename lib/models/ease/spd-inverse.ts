import type { Steps } from '../../async/steps.ts';

/**
 * Inverts a symmetric positive definite n x n matrix (row-major, float64) in place: Cholesky
 * A = L L^T, then M = L^-1, then A^-1 = M^T M. About n^3 / 2 multiply-adds, every inner loop
 * over contiguous memory. Yields (lib/async/steps.ts) every few rows so an activity's event
 * loop gets turns during a multi-second inversion.
 *
 * @throws RangeError when the matrix is not positive definite (a pivot <= 0)
 */
export function* invertSpdSteps(a: Float64Array, n: number): Steps<void> {
  if (a.length < n * n) throw new RangeError(`matrix has ${a.length} entries, needs ${n * n}`);
  const every = Math.max(1, Math.floor(4_000_000 / Math.max(1, n * n)));
  // 1. Cholesky, lower triangle of `a` becomes L (row-major, rows of L are contiguous).
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) d -= a[rj + k]! * a[rj + k]!;
    if (!(d > 0)) throw new RangeError(`matrix is not positive definite (pivot ${j}: ${d})`);
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s / ljj;
    }
    if (j % every === 0) yield;
  }
  // 2. M = L^-1 (lower), written transposed into the upper triangle: mt[r][c] = M[c][r].
  //    Column c of M solves L x = e_c by forward substitution over rows i >= c.
  const mt = new Float64Array(n * n);
  const x = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    x.fill(0, c);
    for (let i = c; i < n; i++) {
      const ri = i * n;
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= a[ri + k]! * x[k]!;
      x[i] = s / a[ri + i]!;
    }
    // Row c of mt holds column c of M (entries c..n-1).
    mt.set(x.subarray(c, n), c * n + c);
    if (c % every === 0) yield;
  }
  // 3. A^-1[i][j] = sum over k >= max(i, j) of M[k][i] M[k][j] = dot of rows i and j of mt.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = i; j < n; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = j; k < n; k++) s += mt[ri + k]! * mt[rj + k]!;
      a[ri + j] = s;
      a[j * n + i] = s;
    }
    if (i % every === 0) yield;
  }
}
