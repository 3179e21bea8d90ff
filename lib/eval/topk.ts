/**
 * Partial top-K selection over one row of a score buffer, without sorting the row.
 *
 * Ordering used everywhere in the evaluation layer: higher score first; equal scores are
 * broken by the LOWER item id. It is deterministic and needs no random tie-breaking, and the
 * full-rank function below uses the same rule, so top lists and ranks always agree.
 * `-Infinity` marks an excluded item (never selected); NaN is a scorer bug and throws.
 */
export class TopKSelector {
  /** Selected item ids, best first; the first `count` entries of the last `select` are valid. */
  readonly ids: Int32Array;
  /** Scores of `ids`, same order. */
  readonly scores: Float64Array;
  // The heap keeps the K best seen so far with the WORST at the root, so a new item needs
  // one comparison against the root to be rejected - the common case once the heap fills.
  private readonly heapIds: Int32Array;
  private readonly heapScores: Float64Array;

  /** @param k - how many items to keep (>= 1) */
  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1)
      throw new RangeError(`k must be a positive integer, got ${k}`);
    this.ids = new Int32Array(k);
    this.scores = new Float64Array(k);
    this.heapIds = new Int32Array(k);
    this.heapScores = new Float64Array(k);
  }

  /**
   * Selects the best `k` of `scores[offset .. offset + n)` (item id = index - offset).
   * @returns how many items were selected (less than `k` only when fewer are not excluded)
   */
  select(scores: Float32Array, offset: number, n: number): number {
    const k = this.k;
    const hs = this.heapScores;
    const hi = this.heapIds;
    let size = 0;
    let j = 0;
    // Fill phase: take the first k non-excluded items.
    for (; j < n && size < k; j++) {
      const s = scores[offset + j]!;
      if (!(s > -Infinity)) {
        if (s !== s) throw new RangeError(`scorer produced NaN for item ${j}`);
        continue;
      }
      siftUp(hs, hi, size, s, j);
      size++;
    }
    // Scan phase: items arrive in ascending id order, so an item that only ties the root
    // loses the tie and `s <= thr` rejects it; NaN fails `<=` and reaches the check below.
    let thr = size === k ? hs[0]! : Infinity;
    for (; j < n; j++) {
      const s = scores[offset + j]!;
      if (s <= thr) continue;
      if (s !== s) throw new RangeError(`scorer produced NaN for item ${j}`);
      siftDown(hs, hi, size, s, j);
      thr = hs[0]!;
    }
    // Pop the worst repeatedly into the back of the output: best first.
    for (let m = size; m > 0; m--) {
      this.ids[m - 1] = hi[0]!;
      this.scores[m - 1] = hs[0]!;
      if (m > 1) siftDown(hs, hi, m - 1, hs[m - 1]!, hi[m - 1]!);
    }
    return size;
  }

  /** Full rank of the `target` of the last {@link selectRanked} call. */
  rank = 0;

  /**
   * {@link select} fused with {@link fullRank} of `target`: one pass over the row both keeps
   * the best `k` and counts the items ranked above `target` (stored in `rank`), instead of a
   * second O(n) pass for every user whose best test item missed the top list.
   */
  selectRanked(scores: Float32Array, offset: number, n: number, target: number): number {
    const ts = scores[offset + target]!;
    if (!(ts > -Infinity)) {
      const m = this.select(scores, offset, n);
      this.rank = fullRank(scores, offset, n, target);
      return m;
    }
    const k = this.k;
    const hs = this.heapScores;
    const hi = this.heapIds;
    let size = 0;
    let above = 0;
    let j = 0;
    for (; j < n && size < k; j++) {
      const s = scores[offset + j]!;
      if (s > ts || (s === ts && j < target)) above++;
      if (!(s > -Infinity)) {
        if (s !== s) throw new RangeError(`scorer produced NaN for item ${j}`);
        continue;
      }
      siftUp(hs, hi, size, s, j);
      size++;
    }
    let thr = size === k ? hs[0]! : Infinity;
    // Below the target's id a tie ranks above it; from the target on only a higher score does.
    // Number(bool) compiles to a branch-free increment: about half of all items beat a random
    // target, so an `if` here would mispredict on every other item.
    for (; j < target; j++) {
      const s = scores[offset + j]!;
      above += Number(s >= ts);
      if (s <= thr) continue;
      if (s !== s) throw new RangeError(`scorer produced NaN for item ${j}`);
      siftDown(hs, hi, size, s, j);
      thr = hs[0]!;
    }
    for (; j < n; j++) {
      const s = scores[offset + j]!;
      above += Number(s > ts);
      if (s <= thr) continue;
      if (s !== s) throw new RangeError(`scorer produced NaN for item ${j}`);
      siftDown(hs, hi, size, s, j);
      thr = hs[0]!;
    }
    for (let m = size; m > 0; m--) {
      this.ids[m - 1] = hi[0]!;
      this.scores[m - 1] = hs[0]!;
      if (m > 1) siftDown(hs, hi, m - 1, hs[m - 1]!, hi[m - 1]!);
    }
    this.rank = above + 1;
    return size;
  }

  /**
   * Selects the best `k` of a sparse candidate list: `candidates[0 .. count)` are item ids in
   * any order, `scores[id]` their scores (a dense array indexed by id). Same ordering and
   * exclusion rules as {@link select}; O(count log k).
   */
  selectSparse(candidates: Int32Array, count: number, scores: ArrayLike<number>): number {
    const k = this.k;
    const hs = this.heapScores;
    const hi = this.heapIds;
    let size = 0;
    for (let c = 0; c < count; c++) {
      const id = candidates[c]!;
      const s = scores[id]!;
      if (!(s > -Infinity)) {
        if (s !== s) throw new RangeError(`score of item ${id} is NaN`);
        continue;
      }
      if (size < k) siftUp(hs, hi, size++, s, id);
      else if (worse(hs[0]!, hi[0]!, s, id)) siftDown(hs, hi, size, s, id);
    }
    for (let m = size; m > 0; m--) {
      this.ids[m - 1] = hi[0]!;
      this.scores[m - 1] = hs[0]!;
      if (m > 1) siftDown(hs, hi, m - 1, hs[m - 1]!, hi[m - 1]!);
    }
    return size;
  }
}

/** True when (sa, ia) ranks below (sb, ib): lower score, or equal score and higher id. */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

/** Inserts (s, id) at slot `size` of a min-heap (worst at root) and restores order. */
function siftUp(hs: Float64Array, hi: Int32Array, size: number, s: number, id: number): void {
  let c = size;
  while (c > 0) {
    const p = (c - 1) >> 1;
    if (!worse(s, id, hs[p]!, hi[p]!)) break;
    hs[c] = hs[p]!;
    hi[c] = hi[p]!;
    c = p;
  }
  hs[c] = s;
  hi[c] = id;
}

/** Replaces the root of a heap of `size` entries with (s, id) and restores order. */
function siftDown(hs: Float64Array, hi: Int32Array, size: number, s: number, id: number): void {
  let p = 0;
  for (;;) {
    const l = 2 * p + 1;
    if (l >= size) break;
    let c = l;
    const r = l + 1;
    if (r < size && worse(hs[r]!, hi[r]!, hs[l]!, hi[l]!)) c = r;
    if (!worse(hs[c]!, hi[c]!, s, id)) break;
    hs[p] = hs[c]!;
    hi[p] = hi[c]!;
    p = c;
  }
  hs[p] = s;
  hi[p] = id;
}

/**
 * 1-based full rank of `item` among the non-excluded items of one score row, under the same
 * ordering as {@link TopKSelector}: 1 + (items with a higher score) + (items with an equal
 * score and a lower id). Excluded items (`-Infinity`) never count. O(n).
 */
export function fullRank(scores: Float32Array, offset: number, n: number, item: number): number {
  const s = scores[offset + item]!;
  let above = 0;
  if (s === -Infinity) {
    // An item the model refuses to rank sits after every candidate.
    for (let j = 0; j < n; j++) if (scores[offset + j]! > s) above++;
    return above + 1;
  }
  // Number(bool): branch-free counting (see selectRanked).
  for (let j = 0; j < item; j++) above += Number(scores[offset + j]! >= s);
  for (let j = item + 1; j < n; j++) above += Number(scores[offset + j]! > s);
  return above + 1;
}
