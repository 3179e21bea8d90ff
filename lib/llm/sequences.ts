/**
 * Users' train histories in time order, and the training windows of the item-sequence
 * model cut from them. Typed arrays throughout: a window is just the index of its last
 * target in the sequence CSR.
 */
import { csrFromCoo } from '../eval/csr.ts';
import type { Csr } from '../eval/types.ts';

/**
 * Each user's items, oldest first: by timestamp, ties by the lower item id, and without
 * timestamps in file order (rows are grouped by user in file order), as the leave-last-out
 * split and the recency ranks (baselines/recency.ts) order them.
 */
export function timeOrderedHistories(
  t: { n: number; user: Int32Array; item: Int32Array; ts: Float64Array },
  nUsers: number,
): Csr {
  const rowOf = csrFromCoo(
    t.user,
    new Int32Array(t.n).map((_, k) => k),
    t.n,
    nUsers,
  );
  const indices = new Int32Array(t.n);
  for (let u = 0; u < nUsers; u++) {
    const lo = rowOf.indptr[u]!;
    const hi = rowOf.indptr[u + 1]!;
    const rows = rowOf.indices.subarray(lo, hi);
    rows.sort((a, b) => {
      const ta = t.ts[a]!;
      const tb = t.ts[b]!;
      if (Number.isNaN(ta) || Number.isNaN(tb)) return a - b;
      return ta - tb || t.item[a]! - t.item[b]! || a - b;
    });
    for (let k = lo; k < hi; k++) indices[k] = t.item[rows[k - lo]!]!;
  }
  return { indptr: rowOf.indptr, indices };
}

/**
 * Time-ordered histories without each user's latest item (a user with one item keeps it, as
 * lib/teacher/one-step-back.ts's latestRowsLeftOut keeps it): what the chooser reads one
 * step back.
 */
export function withoutLatest(histories: Csr): Csr {
  const nUsers = histories.indptr.length - 1;
  const indptr = new Int32Array(nUsers + 1);
  const indices = new Int32Array(histories.indices.length);
  let w = 0;
  for (let u = 0; u < nUsers; u++) {
    const lo = histories.indptr[u]!;
    const hi = histories.indptr[u + 1]!;
    const end = hi - lo >= 2 ? hi - 1 : hi;
    for (let k = lo; k < end; k++) indices[w++] = histories.indices[k]!;
    indptr[u + 1] = w;
  }
  return { indptr, indices: indices.subarray(0, w) };
}

/**
 * Training windows: for each user, windows of `window` next-item predictions covering every
 * position 1..n-1 once, the most recent window full and the oldest left-padded. A window is
 * the absolute CSR index of its last target; its inputs are the `window` items before it.
 */
export function trainingWindows(seqs: Csr, window: number): Int32Array {
  const rows = seqs.indptr.length - 1;
  let count = 0;
  for (let u = 0; u < rows; u++) {
    const n = seqs.indptr[u + 1]! - seqs.indptr[u]!;
    if (n >= 2) count += Math.ceil((n - 1) / window);
  }
  const out = new Int32Array(count);
  let w = 0;
  for (let u = 0; u < rows; u++) {
    const lo = seqs.indptr[u]!;
    for (let end = seqs.indptr[u + 1]! - 1; end - lo >= 1; end -= window) out[w++] = end;
  }
  return out;
}

/**
 * Fills `ids` (window slots) with the items before absolute index `end` of a sequence that
 * starts at `lo`, left-padded with `pad`: slot `window - 1` holds the item just before `end`.
 */
export function fillContext(
  items: Int32Array,
  lo: number,
  end: number,
  window: number,
  pad: number,
  ids: Int32Array,
  offset: number,
): void {
  for (let s = 0; s < window; s++) {
    const k = end - window + s;
    ids[offset + s] = k >= lo ? items[k]! : pad;
  }
}
