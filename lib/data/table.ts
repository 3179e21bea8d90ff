/**
 * Columnar interaction data. Millions of rows live in typed arrays, never as per-row
 * objects. IDs are dense indices; the original IDs are kept in an IdMap.
 */
export interface Interactions {
  /** Number of rows (arrays may be longer; only the first `n` entries are valid). */
  n: number;
  user: Int32Array;
  item: Int32Array;
  /** NaN where the source has no rating (implicit feedback). */
  rating: Float32Array;
  /** Seconds since the epoch; NaN where the source has no timestamp. */
  ts: Float64Array;
}

/** Item metadata aligned to dense item indices. Catalog-sized, so plain arrays are fine. */
export interface ItemMeta {
  title: string[];
  /** Pipe-separated genres, as in MovieLens (`Action|Comedy`). */
  genres: string[];
}

export function allocInteractions(capacity: number): Interactions {
  return {
    n: 0,
    user: new Int32Array(capacity),
    item: new Int32Array(capacity),
    rating: new Float32Array(capacity),
    ts: new Float64Array(capacity),
  };
}

/** Grows a table's arrays (doubling) so appends stay amortized O(1). */
export function ensureCapacity(t: Interactions, needed: number): Interactions {
  if (needed <= t.user.length) return t;
  const cap = Math.max(needed, t.user.length * 2, 1024);
  const grow = <A extends Int32Array | Float32Array | Float64Array>(
    a: A,
    make: (n: number) => A,
  ): A => {
    const b = make(cap);
    b.set(a.subarray(0, t.n));
    return b;
  };
  return {
    n: t.n,
    user: grow(t.user, (c) => new Int32Array(c)),
    item: grow(t.item, (c) => new Int32Array(c)),
    rating: grow(t.rating, (c) => new Float32Array(c)),
    ts: grow(t.ts, (c) => new Float64Array(c)),
  };
}

/** Exact-length views of a table's columns. */
export function trimmed(t: Interactions): Interactions {
  return {
    n: t.n,
    user: t.user.subarray(0, t.n),
    item: t.item.subarray(0, t.n),
    rating: t.rating.subarray(0, t.n),
    ts: t.ts.subarray(0, t.n),
  };
}

/** Numeric IDs below this use the direct-index table (at most 64 MB of Int32). */
const DENSE_LIMIT = 1 << 24;

/**
 * Maps original IDs (numeric or string) to dense indices in first-seen order. Numeric IDs
 * take a fast path without building strings.
 */
export class IdMap {
  /** Small numeric IDs (the common case) index a typed array directly: no hashing. */
  private dense = new Int32Array(0);
  private readonly byNumber = new Map<number, number>();
  private readonly byString = new Map<string, number>();
  readonly ids: string[] = [];

  get size(): number {
    return this.ids.length;
  }

  fromNumber(id: number): number {
    if (id < DENSE_LIMIT) {
      if (id >= this.dense.length) this.growDense(id);
      const hit = this.dense[id]!;
      if (hit > 0) return hit - 1;
      const idx = this.slowFromNumber(id);
      this.dense[id] = idx + 1;
      return idx;
    }
    return this.slowFromNumber(id);
  }

  private growDense(id: number): void {
    const next = new Int32Array(
      Math.min(DENSE_LIMIT, Math.max(id + 1, this.dense.length * 2, 1024)),
    );
    next.set(this.dense);
    this.dense = next;
  }

  private slowFromNumber(id: number): number {
    let idx = this.byNumber.get(id);
    if (idx === undefined) {
      const s = String(id);
      idx = this.byString.get(s);
      if (idx === undefined) {
        idx = this.ids.length;
        this.ids.push(s);
        this.byString.set(s, idx);
      }
      this.byNumber.set(id, idx);
    }
    return idx;
  }

  fromString(id: string): number {
    // Canonical integers share the numeric path, so "42" and 42 are one ID.
    if (/^(0|[1-9]\d{0,14})$/.test(id)) return this.fromNumber(Number(id));
    let idx = this.byString.get(id);
    if (idx === undefined) {
      idx = this.ids.length;
      this.ids.push(id);
      this.byString.set(id, idx);
    }
    return idx;
  }

  /** Index of an ID already seen, or -1. */
  lookup(id: string): number {
    return this.byString.get(id) ?? -1;
  }

  static of(ids: string[]): IdMap {
    const m = new IdMap();
    for (const id of ids) m.fromString(id);
    return m;
  }
}
