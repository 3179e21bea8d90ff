/**
 * A first layer over multi-hot inputs, computed from the non-zeros: a user's input vector
 * times a (nItems x dim) table is the sum of the table rows of the user's items, and the
 * gradient of those rows is the user's output gradient. Cost O(non-zeros x dim), never
 * O(catalog x dim).
 */
import type { Csr } from '../eval/types.ts';

/**
 * `out[r] = bias + sum of table rows of the items of user users[r]`, for r < n, each row
 * times `weight[p]` (aligned with the CSR's entries) when given. `out` holds n x dim floats.
 */
export function gatherSum(
  table: Float32Array,
  dim: number,
  csr: Csr,
  users: Int32Array,
  n: number,
  out: Float32Array,
  bias?: Float32Array,
  weight?: Float32Array,
): void {
  const { indptr, indices } = csr;
  for (let r = 0; r < n; r++) {
    const o = r * dim;
    if (bias) out.set(bias, o);
    else out.fill(0, o, o + dim);
    const u = users[r]!;
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
      const t = indices[p]! * dim;
      if (weight) {
        const w = weight[p]!;
        for (let f = 0; f < dim; f++) out[o + f] = out[o + f]! + w * table[t + f]!;
      } else for (let f = 0; f < dim; f++) out[o + f] = out[o + f]! + table[t + f]!;
    }
  }
}

/**
 * Gradient rows of a gathered table: for each user r < n and each of their items j, row j
 * accumulates `grad[r]`. Returns how many distinct rows were touched; their ids are
 * `outRows[0 .. count)` and their summed gradients `outGrad[k * dim ..]`. `slot` is a
 * reusable Int32Array(nItems) filled with -1 (left so on return).
 */
export function scatterRows(
  csr: Csr,
  users: Int32Array,
  n: number,
  grad: Float32Array,
  dim: number,
  slot: Int32Array,
  outRows: Int32Array,
  outGrad: Float32Array,
): number {
  const { indptr, indices } = csr;
  let count = 0;
  for (let r = 0; r < n; r++) {
    const u = users[r]!;
    const g = r * dim;
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
      const j = indices[p]!;
      let s = slot[j]!;
      if (s < 0) {
        s = count++;
        slot[j] = s;
        outRows[s] = j;
        outGrad.fill(0, s * dim, (s + 1) * dim);
      }
      const o = s * dim;
      for (let f = 0; f < dim; f++) outGrad[o + f] = outGrad[o + f]! + grad[g + f]!;
    }
  }
  for (let s = 0; s < count; s++) slot[outRows[s]!] = -1;
  return count;
}

/** Sum of the n rows of an (n x dim) matrix: the gradient of a bias added to every row. */
export function sumOverRows(m: Float32Array, n: number, dim: number, out: Float32Array): void {
  out.fill(0);
  for (let r = 0; r < n; r++) {
    const o = r * dim;
    for (let f = 0; f < dim; f++) out[f] = out[f]! + m[o + f]!;
  }
}
