import type { Steps } from '../../async/steps.ts';

/**
 * Inverts a symmetric positive definite n x n matrix (row-major, float64) in place: Cholesky
 * A = L L^T, then M = L^-1, then A^-1 = M^T M. About n^3 / 2 multiply-adds, every inner loop
 * over contiguous memory. Each step computes a block of dot products at once (4 or 8 rows
 * against the row being read, 2 x 4 in the last step), so a value loaded from memory feeds
 * several multiply-adds and several accumulators run side by side: about twice as fast as one
 * dot product at a time (bench/train/ease.ts). Yields (lib/async/steps.ts) every few blocks so
 * an activity's event loop gets turns during a multi-second inversion.
 *
 * @throws RangeError when the matrix is not positive definite (a pivot <= 0)
 */
export function* invertSpdSteps(a: Float64Array, n: number): Steps<void> {
  if (a.length < n * n) throw new RangeError(`matrix has ${a.length} entries, needs ${n * n}`);
  // Blocks between yields: a few million multiply-adds each.
  const every = Math.max(1, Math.floor(1_000_000 / Math.max(1, n * n)));
  yield* choleskySteps(a, n, every);
  const mt = yield* inverseLowerSteps(a, n, every);
  yield* productSteps(mt, a, n, every);
}

/** Cholesky in place: the lower triangle of `a` becomes L (rows of L contiguous). */
function* choleskySteps(a: Float64Array, n: number, every: number): Steps<void> {
  // Columns in groups of 4: the group's own rows one entry at a time, then every later row's
  // four entries from one pass over that row (dots over k < j0), finished inside the group.
  for (let j0 = 0, block = 0; j0 < n; j0 += 4, block++) {
    const end = Math.min(j0 + 4, n);
    const lastRow = end - j0 < 4 ? n : end;
    for (let j = j0; j < end; j++) {
      const rj = j * n;
      for (let i = j; i < lastRow; i++) {
        const ri = i * n;
        let s = a[ri + j]!;
        for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
        if (i > j) a[ri + j] = s / a[rj + j]!;
        else if (s > 0) a[rj + j] = Math.sqrt(s);
        else throw new RangeError(`matrix is not positive definite (pivot ${j}: ${s})`);
      }
    }
    if (lastRow === n) break;
    const r0 = j0 * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let i = end; i < n; i++) {
      const ri = i * n;
      let s0 = a[ri + j0]!;
      let s1 = a[ri + j0 + 1]!;
      let s2 = a[ri + j0 + 2]!;
      let s3 = a[ri + j0 + 3]!;
      for (let k = 0; k < j0; k++) {
        const x = a[ri + k]!;
        s0 -= x * a[r0 + k]!;
        s1 -= x * a[r1 + k]!;
        s2 -= x * a[r2 + k]!;
        s3 -= x * a[r3 + k]!;
      }
      const l0 = s0 / a[r0 + j0]!;
      const l1 = (s1 - l0 * a[r1 + j0]!) / a[r1 + j0 + 1]!;
      const l2 = (s2 - l0 * a[r2 + j0]! - l1 * a[r2 + j0 + 1]!) / a[r2 + j0 + 2]!;
      const l3 =
        (s3 - l0 * a[r3 + j0]! - l1 * a[r3 + j0 + 1]! - l2 * a[r3 + j0 + 2]!) / a[r3 + j0 + 3]!;
      a[ri + j0] = l0;
      a[ri + j0 + 1] = l1;
      a[ri + j0 + 2] = l2;
      a[ri + j0 + 3] = l3;
    }
    if (block % every === 0) yield;
  }
}

/**
 * M = L^-1 (lower), returned transposed: row c of the result holds column c of M (entries
 * c..n-1; the rest 0). Column c solves L x = e_c by forward substitution; 8 columns share
 * each pass over a row of L.
 */
function* inverseLowerSteps(a: Float64Array, n: number, every: number): Steps<Float64Array> {
  const mt = new Float64Array(n * n);
  let c0 = 0;
  for (let block = 0; c0 + 8 <= n; c0 += 8, block++) {
    const m0 = c0 * n;
    const m1 = m0 + n;
    const m2 = m1 + n;
    const m3 = m2 + n;
    const m4 = m3 + n;
    const m5 = m4 + n;
    const m6 = m5 + n;
    const m7 = m6 + n;
    for (let i = c0; i < n; i++) {
      const ri = i * n;
      const e = i - c0;
      // Right-hand sides: column c0 + t of the identity.
      let s0 = e === 0 ? 1 : 0;
      let s1 = e === 1 ? 1 : 0;
      let s2 = e === 2 ? 1 : 0;
      let s3 = e === 3 ? 1 : 0;
      let s4 = e === 4 ? 1 : 0;
      let s5 = e === 5 ? 1 : 0;
      let s6 = e === 6 ? 1 : 0;
      let s7 = e === 7 ? 1 : 0;
      for (let k = c0; k < i; k++) {
        const l = a[ri + k]!;
        s0 -= l * mt[m0 + k]!;
        s1 -= l * mt[m1 + k]!;
        s2 -= l * mt[m2 + k]!;
        s3 -= l * mt[m3 + k]!;
        s4 -= l * mt[m4 + k]!;
        s5 -= l * mt[m5 + k]!;
        s6 -= l * mt[m6 + k]!;
        s7 -= l * mt[m7 + k]!;
      }
      // Above its own column a solution is 0, and so are these sums there.
      const d = a[ri + i]!;
      mt[m0 + i] = s0 / d;
      mt[m1 + i] = s1 / d;
      mt[m2 + i] = s2 / d;
      mt[m3 + i] = s3 / d;
      mt[m4 + i] = s4 / d;
      mt[m5 + i] = s5 / d;
      mt[m6 + i] = s6 / d;
      mt[m7 + i] = s7 / d;
    }
    if (block % every === 0) yield;
  }
  for (let c = c0; c < n; c++) {
    const mc = c * n;
    for (let i = c; i < n; i++) {
      const ri = i * n;
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= a[ri + k]! * mt[mc + k]!;
      mt[mc + i] = s / a[ri + i]!;
    }
  }
  return mt;
}

/**
 * A^-1[i][j] = sum over k of M[k][i] M[k][j] = dot of rows i and j of mt, written to `out`
 * (both triangles). Rows of mt are 0 before their own index, so the dots of a block can all
 * start at its first j: blocks of 2 rows i x 4 rows j (j >= i) share their loads.
 */
function* productSteps(mt: Float64Array, out: Float64Array, n: number, every: number): Steps<void> {
  const put = (i: number, j: number, s: number) => {
    out[i * n + j] = s;
    out[j * n + i] = s;
  };
  for (let i0 = 0, block = 0; i0 < n; i0 += 2, block++) {
    const pair = i0 + 1 < n;
    const p0 = i0 * n;
    // Without a second row, the first is read twice and its copy discarded.
    const p1 = pair ? p0 + n : p0;
    let j0 = i0;
    for (; j0 + 4 <= n; j0 += 4) {
      const q0 = j0 * n;
      const q1 = q0 + n;
      const q2 = q1 + n;
      const q3 = q2 + n;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let k = j0; k < n; k++) {
        const x = mt[p0 + k]!;
        const y = mt[p1 + k]!;
        const v0 = mt[q0 + k]!;
        const v1 = mt[q1 + k]!;
        const v2 = mt[q2 + k]!;
        const v3 = mt[q3 + k]!;
        a0 += x * v0;
        a1 += x * v1;
        a2 += x * v2;
        a3 += x * v3;
        b0 += y * v0;
        b1 += y * v1;
        b2 += y * v2;
        b3 += y * v3;
      }
      put(i0, j0, a0);
      put(i0, j0 + 1, a1);
      put(i0, j0 + 2, a2);
      put(i0, j0 + 3, a3);
      if (pair) {
        put(i0 + 1, j0, b0);
        put(i0 + 1, j0 + 1, b1);
        put(i0 + 1, j0 + 2, b2);
        put(i0 + 1, j0 + 3, b3);
      }
    }
    for (; j0 < n; j0++) {
      const q = j0 * n;
      let s0 = 0;
      let s1 = 0;
      for (let k = j0; k < n; k++) {
        s0 += mt[p0 + k]! * mt[q + k]!;
        s1 += mt[p1 + k]! * mt[q + k]!;
      }
      put(i0, j0, s0);
      if (pair) put(i0 + 1, j0, s1);
    }
    if (block % every === 0) yield;
  }
}
