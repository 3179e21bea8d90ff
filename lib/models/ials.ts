/**
 * The math of implicit ALS (Hu, Koren & Volinsky 2008, "Collaborative Filtering for Implicit
 * Feedback Datasets"): every user x item pair is a target (0 unless observed), observed rows
 * count with confidence c = 1 + alpha * weight, and the two factor tables are solved for in
 * turn. Each row of a table is a small ridge regression,
 *
 *   (Y'Y + lambda I + sum_r (c_r - 1) y_r y_r') x = sum_r c_r p_r y_r,
 *
 * solved approximately by a few conjugate-gradient steps warm-started from the current row
 * (as the `implicit` library does), so one half-epoch costs O(nnz x dim x steps) plus one
 * dim x dim Gram matrix: the dense "all pairs" part is never formed per user.
 * A positive row has p = 1; an explicit negative (an LLM's disliked item) has p = 0, with its
 * own confidence. Duplicate rows each count. Pure: typed arrays in, typed arrays out.
 */
import type { TrainingSet } from './types.ts';

/** The observed rows grouped by one side (users or items), in CSR form. */
export interface Observations {
  ptr: Int32Array;
  /** The other side's id of each row. */
  other: Int32Array;
  /** c - 1 = alpha x weight. */
  extra: Float32Array;
  /** c x p (0 for explicit negatives). */
  target: Float32Array;
}

/** Groups the training rows by user (`by: 'user'`) or by item, with their confidences. */
export function observations(set: TrainingSet, alpha: number, by: 'user' | 'item'): Observations {
  const key = by === 'user' ? set.user : set.item;
  const val = by === 'user' ? set.item : set.user;
  const rows = by === 'user' ? set.nUsers : set.nItems;
  const ptr = new Int32Array(rows + 1);
  for (let r = 0; r < set.n; r++) ptr[key[r]! + 1]!++;
  for (let k = 0; k < rows; k++) ptr[k + 1]! += ptr[k]!;
  const fill = ptr.slice(0, rows);
  const other = new Int32Array(set.n);
  const extra = new Float32Array(set.n);
  const target = new Float32Array(set.n);
  for (let r = 0; r < set.n; r++) {
    const at = fill[key[r]!]!++;
    const e = alpha * set.weight[r]!;
    other[at] = val[r]!;
    extra[at] = e;
    target[at] = set.label[r] ? 1 + e : 0;
  }
  return { ptr, other, extra, target };
}

/** Y'Y of a row-major `rows x dim` table, in float64 (dim x dim, row-major). */
export function gram(table: Float32Array, dim: number): Float64Array {
  const g = new Float64Array(dim * dim);
  const rows = table.length / dim;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let a = 0; a < dim; a++) {
      const va = table[o + a]!;
      if (va === 0) continue;
      const ga = a * dim;
      for (let b = a; b < dim; b++) g[ga + b]! += va * table[o + b]!;
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) g[a * dim + b] = g[b * dim + a]!;
  return g;
}

/**
 * Re-solves the rows `from .. to` of `solve` against the fixed table `fixed` (whose Gram
 * matrix plus lambda on the diagonal is `gramReg`), in place. Returns nothing; the rows
 * only depend on `fixed`, so ranges can run in any order or split.
 */
export class CgSolver {
  private readonly r: Float64Array;
  private readonly p: Float64Array;
  private readonly ap: Float64Array;
  private readonly x: Float64Array;
  constructor(
    readonly dim: number,
    readonly steps: number,
  ) {
    this.r = new Float64Array(dim);
    this.p = new Float64Array(dim);
    this.ap = new Float64Array(dim);
    this.x = new Float64Array(dim);
  }

  solveRows(
    solve: Float32Array,
    fixed: Float32Array,
    gramReg: Float64Array,
    obs: Observations,
    from: number,
    to: number,
  ): void {
    const { dim, r, p, ap, x } = this;
    const { ptr, other, extra, target } = obs;
    for (let u = from; u < to; u++) {
      const o = u * dim;
      for (let a = 0; a < dim; a++) x[a] = solve[o + a]!;
      // r = b - A x, with A x = gramReg x + sum (c - 1) <y, x> y and b = sum c p y.
      this.multiply(gramReg, x, r);
      for (let a = 0; a < dim; a++) r[a] = -r[a]!;
      for (let k = ptr[u]!, end = ptr[u + 1]!; k < end; k++) {
        const y = other[k]! * dim;
        let dot = 0;
        for (let a = 0; a < dim; a++) dot += fixed[y + a]! * x[a]!;
        const coef = target[k]! - extra[k]! * dot;
        for (let a = 0; a < dim; a++) r[a]! += coef * fixed[y + a]!;
      }
      let rs = 0;
      for (let a = 0; a < dim; a++) {
        p[a] = r[a]!;
        rs += r[a]! * r[a]!;
      }
      for (let step = 0; step < this.steps && rs > 1e-20; step++) {
        this.multiply(gramReg, p, ap);
        for (let k = ptr[u]!, end = ptr[u + 1]!; k < end; k++) {
          const y = other[k]! * dim;
          let dot = 0;
          for (let a = 0; a < dim; a++) dot += fixed[y + a]! * p[a]!;
          const coef = extra[k]! * dot;
          for (let a = 0; a < dim; a++) ap[a]! += coef * fixed[y + a]!;
        }
        let pap = 0;
        for (let a = 0; a < dim; a++) pap += p[a]! * ap[a]!;
        if (!(pap > 0)) break;
        const alpha = rs / pap;
        let rsNew = 0;
        for (let a = 0; a < dim; a++) {
          x[a]! += alpha * p[a]!;
          r[a]! -= alpha * ap[a]!;
          rsNew += r[a]! * r[a]!;
        }
        const beta = rsNew / rs;
        for (let a = 0; a < dim; a++) p[a] = r[a]! + beta * p[a]!;
        rs = rsNew;
      }
      for (let a = 0; a < dim; a++) solve[o + a] = x[a]!;
    }
  }

  /** out = m v for the dim x dim matrix m. */
  private multiply(m: Float64Array, v: Float64Array, out: Float64Array): void {
    const dim = this.dim;
    for (let a = 0; a < dim; a++) {
      let s = 0;
      const row = a * dim;
      for (let b = 0; b < dim; b++) s += m[row + b]! * v[b]!;
      out[a] = s;
    }
  }
}

/** Adds `lambda` to the diagonal of a dim x dim matrix, in place. */
export function addDiagonal(m: Float64Array, lambda: number): Float64Array {
  const dim = Math.round(Math.sqrt(m.length));
  for (let a = 0; a < dim; a++) m[a * dim + a]! += lambda;
  return m;
}

/**
 * The objective per training row: sum over all pairs of s^2, plus sum over rows of
 * c (p - s)^2 - s^2, plus lambda (|X|^2 + |Y|^2), divided by the number of rows. The
 * all-pairs part is <X'X, Y'Y>, so this costs O(nnz x dim + (users + items) x dim^2).
 */
export function objective(
  users: Float32Array,
  items: Float32Array,
  dim: number,
  byUser: Observations,
  lambda: number,
): number {
  const gu = gram(users, dim);
  const gi = gram(items, dim);
  let all = 0;
  for (let k = 0; k < dim * dim; k++) all += gu[k]! * gi[k]!;
  let rows = 0;
  const { ptr, other, extra, target } = byUser;
  for (let u = 0; u + 1 < ptr.length; u++) {
    const o = u * dim;
    for (let k = ptr[u]!, end = ptr[u + 1]!; k < end; k++) {
      const y = other[k]! * dim;
      let s = 0;
      for (let a = 0; a < dim; a++) s += users[o + a]! * items[y + a]!;
      const c = 1 + extra[k]!;
      const p = target[k]! / c;
      rows += c * (p - s) * (p - s) - s * s;
    }
  }
  let norms = 0;
  for (let a = 0; a < dim; a++) norms += gu[a * dim + a]! + gi[a * dim + a]!;
  return (all + rows + lambda * norms) / Math.max(ptr[ptr.length - 1]!, 1);
}
