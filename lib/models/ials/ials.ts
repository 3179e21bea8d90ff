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
import { heapAllocator } from '../../compute/arena.ts';
import type { Allocator } from '../../compute/arena.ts';
import type { TrainingSet } from '../types.ts';

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
export function observations(
  set: TrainingSet,
  alpha: number,
  by: 'user' | 'item',
  alloc: Allocator = heapAllocator,
): Observations {
  const key = by === 'user' ? set.user : set.item;
  const val = by === 'user' ? set.item : set.user;
  const rows = by === 'user' ? set.nUsers : set.nItems;
  const ptr = alloc.ints(rows + 1);
  for (let r = 0; r < set.n; r++) ptr[key[r]! + 1]!++;
  for (let k = 0; k < rows; k++) ptr[k + 1]! += ptr[k]!;
  const fill = ptr.slice(0, rows);
  const other = alloc.ints(set.n);
  const extra = alloc.floats(set.n);
  const target = alloc.floats(set.n);
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
  gramUpper(table, dim, g, 0, dim);
  mirrorUpper(g, dim);
  return g;
}

/**
 * Adds the upper-triangle entries of Y'Y in matrix rows `a0 .. a1` into g (zeroed), each
 * entry summed over the table's rows in order: ranges of matrix rows can be computed apart
 * (on threads) and give the same bits as one pass.
 */
export function gramUpper(
  table: Float32Array,
  dim: number,
  g: Float64Array,
  a0: number,
  a1: number,
): void {
  const rows = table.length / dim;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let a = a0; a < a1; a++) {
      const va = table[o + a]!;
      if (va === 0) continue;
      const ga = a * dim;
      for (let b = a; b < dim; b++) g[ga + b]! += va * table[o + b]!;
    }
  }
}

/** Copies the upper triangle of a dim x dim matrix onto its lower triangle. */
export function mirrorUpper(g: Float64Array, dim: number): void {
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) g[a * dim + b] = g[b * dim + a]!;
}

/** A dense vector of `dim` floats: float64 in the JS loops, float32 in wasm memory. */
export type Vec = Float32Array | Float64Array;

/** Conjugate gradient's four scratch vectors (x, r, p, A p). */
export type CgScratch = [Vec, Vec, Vec, Vec];

/** What conjugate gradient needs for one row's system A x = b, and the row's share of the loss. */
export interface RowProducts {
  /** out = A v = gramReg v + sum over the row's observations of (c - 1) <y, v> y. */
  aTimes(row: number, v: Vec, out: Vec): void;
  /** out = b - A x, with b = sum over the row's observations of c p y. */
  residual(row: number, x: Vec, out: Vec): void;
  /** The row's observed part of the objective: sum of c (p - s)^2 - s^2, s = <y, x>. */
  loss(row: number, x: Vec): number;
}

/**
 * Re-solves the rows `from .. to` of the table `solve` (row-major, `dim` wide) in place:
 * `steps` conjugate-gradient steps per row, warm-started from the row's current value.
 * `x`, `r`, `p`, `ap` are scratch vectors of `dim` floats (where `products` reads them).
 * Rows only depend on the fixed side, so ranges can run in any order or split.
 */
export function cgSolveRows(
  products: RowProducts,
  solve: Float32Array,
  dim: number,
  steps: number,
  from: number,
  to: number,
  [x, r, p, ap]: CgScratch,
): void {
  for (let u = from; u < to; u++) {
    const o = u * dim;
    for (let a = 0; a < dim; a++) x[a] = solve[o + a]!;
    products.residual(u, x, r);
    let rs = 0;
    for (let a = 0; a < dim; a++) {
      p[a] = r[a]!;
      rs += r[a]! * r[a]!;
    }
    for (let step = 0; step < steps && rs > 1e-20; step++) {
      products.aTimes(u, p, ap);
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

/** {@link RowProducts} as plain JS loops in float64 (the reference; no SIMD needed). */
export class JsRowProducts implements RowProducts {
  constructor(
    private readonly fixed: Float32Array,
    private readonly gramReg: Float64Array,
    private readonly obs: Observations,
    private readonly dim: number,
  ) {}

  aTimes(u: number, v: Vec, out: Vec): void {
    this.gramTimes(v, out);
    this.addObserved(false, u, v, out);
  }

  residual(u: number, x: Vec, out: Vec): void {
    this.gramTimes(x, out);
    for (let a = 0; a < this.dim; a++) out[a] = -out[a]!;
    this.addObserved(true, u, x, out);
  }

  /**
   * out += coef y over the row's observations, coef = (c - 1) <y, v>, or for the residual
   * c p - (c - 1) <y, v> (as the SIMD kernel's `observed` and `residual`).
   */
  private addObserved(residual: boolean, u: number, v: Vec, out: Vec): void {
    const { fixed, dim } = this;
    const { ptr, other, extra, target } = this.obs;
    for (let k = ptr[u]!, end = ptr[u + 1]!; k < end; k++) {
      const y = other[k]! * dim;
      let dot = 0;
      for (let a = 0; a < dim; a++) dot += fixed[y + a]! * v[a]!;
      const coef = residual ? target[k]! - extra[k]! * dot : extra[k]! * dot;
      for (let a = 0; a < dim; a++) out[a]! += coef * fixed[y + a]!;
    }
  }

  loss(u: number, x: Vec): number {
    const { fixed, dim } = this;
    const { ptr, other, extra, target } = this.obs;
    let sum = 0;
    for (let k = ptr[u]!, end = ptr[u + 1]!; k < end; k++) {
      const y = other[k]! * dim;
      let s = 0;
      for (let a = 0; a < dim; a++) s += fixed[y + a]! * x[a]!;
      // c (p - s)^2 - s^2 with p in {0, 1} and target = c p: target (1 - 2 s) + (c - 1) s^2.
      sum += target[k]! * (1 - 2 * s) + extra[k]! * s * s;
    }
    return sum;
  }

  private gramTimes(v: Vec, out: Vec): void {
    const { gramReg: m, dim } = this;
    for (let a = 0; a < dim; a++) {
      let s = 0;
      const row = a * dim;
      for (let b = 0; b < dim; b++) s += m[row + b]! * v[b]!;
      out[a] = s;
    }
  }
}

/** The full matrix of a Gram matrix's upper triangle (a copy), plus `lambda` on its diagonal. */
export function regularizedGram(upper: Float64Array, dim: number, lambda: number): Float64Array {
  const g = upper.slice();
  mirrorUpper(g, dim);
  return addDiagonal(g, lambda);
}

/** Adds `lambda` to the diagonal of a dim x dim matrix, in place. */
export function addDiagonal(m: Float64Array, lambda: number): Float64Array {
  const dim = Math.round(Math.sqrt(m.length));
  for (let a = 0; a < dim; a++) m[a * dim + a]! += lambda;
  return m;
}

/**
 * The objective per training row: sum over all pairs of s^2 (= <X'X, Y'Y>, from the two
 * Gram matrices), plus the observed rows' part (sum of c (p - s)^2 - s^2, from
 * {@link RowProducts.loss}), plus lambda (|X|^2 + |Y|^2), divided by the number of rows.
 */
export function objective(
  usersGram: Float64Array,
  itemsGram: Float64Array,
  observed: number,
  lambda: number,
  rows: number,
): number {
  const dim = Math.round(Math.sqrt(usersGram.length));
  let all = 0;
  for (let k = 0; k < dim * dim; k++) all += usersGram[k]! * itemsGram[k]!;
  let norms = 0;
  for (let a = 0; a < dim; a++) norms += usersGram[a * dim + a]! + itemsGram[a * dim + a]!;
  return (all + observed + lambda * norms) / Math.max(rows, 1);
}
