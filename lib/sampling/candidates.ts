/**
 * Synthetic rows as one columnar candidate table in (user, item) order, and the
 * duplicate/score checks that need that order. Every later step only flips `state` from
 * KEPT to a drop reason, so counts by reason always add up to the input.
 */
import type { PositiveCsr } from './sort.ts';
import { orderByUserItem } from './sort.ts';
import { DROP_REASONS, SOURCE } from './types.ts';
import type { DropReason, SyntheticSource } from './types.ts';

/** `state` value of a row still in the running; drop reason r is `DROP[r]`. */
export const KEPT = 0;
export const DROP = Object.fromEntries(DROP_REASONS.map((r, k) => [r, k + 1])) as Record<
  DropReason,
  number
>;

export interface Candidates {
  n: number;
  /** Rows of user u are `ptr[u] .. ptr[u+1]`, items ascending, ties in (source, row) order. */
  ptr: Int32Array;
  item: Int32Array;
  /** SOURCE code (gan / llm / teacher). */
  src: Uint8Array;
  /** Index of the input source (pruning is per source). */
  entry: Uint16Array;
  score: Float32Array;
  /** NaN when the source has none. */
  plausibility: Float32Array;
  /** 1 liked (positive), 0 disliked (negative). */
  label: Uint8Array;
  /** KEPT or a DROP code. */
  state: Uint8Array;
}

/** Concatenates the sources (in order) and reorders the rows by (user, item), stably. */
export function gatherCandidates(
  sources: SyntheticSource[],
  nUsers: number,
  nItems: number,
): Candidates {
  let n = 0;
  for (const s of sources) n += s.n;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  let off = 0;
  for (const s of sources) {
    user.set(s.user, off);
    item.set(s.item, off);
    off += s.n;
  }
  const { ptr, perm } = orderByUserItem(user, item, n, nUsers, nItems);
  // Source of concatenated row k: entry e covers [start[e], start[e+1]).
  const start = new Int32Array(sources.length + 1);
  sources.forEach((s, e) => (start[e + 1] = start[e]! + s.n));
  const c: Candidates = {
    n,
    ptr,
    item: new Int32Array(n),
    src: new Uint8Array(n),
    entry: new Uint16Array(n),
    score: new Float32Array(n),
    plausibility: new Float32Array(n),
    label: new Uint8Array(n),
    state: new Uint8Array(n),
  };
  // Inverse permutation: place each source's rows at their sorted positions, source by
  // source, so the inner loop reads one source's columns sequentially.
  const pos = new Int32Array(n);
  for (let p = 0; p < n; p++) pos[perm[p]!] = p;
  sources.forEach((s, e) => {
    const base = start[e]!;
    const code = SOURCE[s.source];
    for (let k = 0; k < s.n; k++) {
      const p = pos[base + k]!;
      c.item[p] = s.item[k]!;
      c.src[p] = code;
      c.entry[p] = e;
      c.score[p] = s.score[k]!;
      c.plausibility[p] = s.plausibility ? s.plausibility[k]! : NaN;
      c.label[p] = s.label ? s.label[k]! : 1;
    }
  });
  return c;
}

/**
 * Drops, per user, positives that are real positives, below `minScore`, or repeat an
 * earlier kept synthetic positive; and dislikes of real positives or repeated dislikes.
 * Rows are in item order, so real items are met by a merge walk and repeats are adjacent.
 */
export function denoise(c: Candidates, real: PositiveCsr, minScore: number): void {
  const nUsers = c.ptr.length - 1;
  const { item, label, score, state } = c;
  for (let u = 0; u < nUsers; u++) {
    const s = c.ptr[u]!;
    const e = c.ptr[u + 1]!;
    if (s === e) continue;
    let q = real.ptr[u]!;
    const qEnd = real.ptr[u + 1]!;
    let lastPos = -1;
    let lastDis = -1;
    for (let p = s; p < e; p++) {
      const i = item[p]!;
      while (q < qEnd && real.items[q]! < i) q++;
      const isReal = q < qEnd && real.items[q] === i;
      if (label[p] === 1) {
        if (isReal) state[p] = DROP.duplicateOfReal;
        else if (score[p]! < minScore) state[p] = DROP.belowMinScore;
        else if (i === lastPos) state[p] = DROP.duplicateOfSynthetic;
        else lastPos = i;
      } else {
        if (isReal) state[p] = DROP.dislikeOfReal;
        else if (i === lastDis) state[p] = DROP.duplicateDislike;
        else lastDis = i;
      }
    }
  }
}

/** After balancing: a dislike of an item kept as a synthetic positive of the user goes. */
export function dropConflictingDislikes(c: Candidates): void {
  const { item, label, state, ptr } = c;
  const nUsers = ptr.length - 1;
  for (let u = 0; u < nUsers; u++) {
    const e = ptr[u + 1]!;
    // Runs of equal item within the user: at most one kept positive and one kept dislike.
    for (let p = ptr[u]!; p < e;) {
      const i = item[p]!;
      let q = p;
      let liked = false;
      while (q < e && item[q] === i) {
        if (state[q] === KEPT && label[q] === 1) liked = true;
        q++;
      }
      if (liked)
        for (let r = p; r < q; r++)
          if (state[r] === KEPT && label[r] === 0) state[r] = DROP.dislikeOfSynthetic;
      p = q;
    }
  }
}
