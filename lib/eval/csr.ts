import { positionsWhere } from './summary.ts';
import type { Csr } from './types.ts';

/**
 * Builds a per-user CSR from COO columns (e.g. the data layer's `Interactions`) with a
 * counting sort: O(n + rows), no per-row objects. Items keep their input order within a row.
 *
 * @param user - user id per interaction
 * @param item - item id per interaction
 * @param n - number of valid entries (the arrays may be longer)
 * @param nRows - number of users
 */
export function csrFromCoo(user: Int32Array, item: Int32Array, n: number, nRows: number): Csr {
  const indptr = new Int32Array(nRows + 1);
  for (let k = 0; k < n; k++) {
    const u = user[k]!;
    if (u < 0 || u >= nRows)
      throw new RangeError(`user id ${u} at row ${k} is outside 0..${nRows - 1}`);
    indptr[u + 1]!++;
  }
  for (let u = 0; u < nRows; u++) indptr[u + 1]! += indptr[u]!;
  const fill = indptr.slice(0, nRows);
  const indices = new Int32Array(n);
  for (let k = 0; k < n; k++) indices[fill[user[k]!]!++] = item[k]!;
  return { indptr, indices };
}

/**
 * Checks that a CSR has `rows` rows and item ids inside `0..nItems-1`; throws a RangeError
 * naming the split, row and value otherwise. O(nnz).
 */
export function validateCsr(csr: Csr, rows: number, nItems: number, name: string): void {
  const { indptr, indices } = csr;
  if (indptr.length !== rows + 1) {
    throw new RangeError(`${name}: indptr has length ${indptr.length}, expected ${rows + 1}`);
  }
  if (indptr[0] !== 0) throw new RangeError(`${name}: indptr[0] is ${indptr[0]}, expected 0`);
  for (let u = 0; u < rows; u++) {
    if (indptr[u + 1]! < indptr[u]!) {
      throw new RangeError(`${name}: indptr decreases at row ${u}`);
    }
  }
  const nnz = indptr[rows]!;
  if (nnz > indices.length) {
    throw new RangeError(`${name}: indptr ends at ${nnz} but indices has ${indices.length}`);
  }
  for (let k = 0; k < nnz; k++) {
    const i = indices[k]!;
    if (i < 0 || i >= nItems) {
      throw new RangeError(`${name}: item id ${i} at position ${k} is outside 0..${nItems - 1}`);
    }
  }
}

/** Number of entries per row. */
export function rowCounts(csr: Csr): Int32Array {
  const rows = csr.indptr.length - 1;
  const out = new Int32Array(rows);
  for (let u = 0; u < rows; u++) out[u] = csr.indptr[u + 1]! - csr.indptr[u]!;
  return out;
}

/** The rows with at least one entry, ascending (e.g. the users who have any). */
export function nonEmptyRows(csr: Csr): Int32Array {
  const { indptr } = csr;
  return positionsWhere(indptr.length - 1, (u) => indptr[u + 1]! > indptr[u]!);
}

/** Number of entries per item (train popularity when applied to the train split). */
export function itemCounts(csr: Csr, nItems: number): Int32Array {
  const out = new Int32Array(nItems);
  const nnz = csr.indptr[csr.indptr.length - 1]!;
  for (let k = 0; k < nnz; k++) out[csr.indices[k]!]!++;
  return out;
}

/**
 * Transposes a user x item CSR into an item x user CSR (CSC of the original).
 * Users come out in ascending order within each item row.
 */
export function transposeCsr(csr: Csr, nCols: number): Csr {
  const rows = csr.indptr.length - 1;
  const nnz = csr.indptr[rows]!;
  const indptr = new Int32Array(nCols + 1);
  for (let k = 0; k < nnz; k++) indptr[csr.indices[k]! + 1]!++;
  for (let i = 0; i < nCols; i++) indptr[i + 1]! += indptr[i]!;
  const fill = indptr.slice(0, nCols);
  const indices = new Int32Array(nnz);
  for (let u = 0; u < rows; u++) {
    for (let k = csr.indptr[u]!; k < csr.indptr[u + 1]!; k++) indices[fill[csr.indices[k]!]!++] = u;
  }
  return { indptr, indices };
}

/** The rows of `csr` for `rows` only, the others emptied: a split restricted to some users. */
export function keepRows(csr: Csr, rows: Int32Array): Csr {
  const n = csr.indptr.length - 1;
  const keep = new Uint8Array(n);
  for (const u of rows) keep[u] = 1;
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(csr.indptr[n]!);
  let w = 0;
  for (let u = 0; u < n; u++) {
    if (keep[u])
      for (let k = csr.indptr[u]!; k < csr.indptr[u + 1]!; k++) indices[w++] = csr.indices[k]!;
    indptr[u + 1] = w;
  }
  return { indptr, indices: indices.subarray(0, w) };
}
