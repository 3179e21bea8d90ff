/**
 * Original IDs (numbers or strings) <-> dense indices 0..size-1, in first-seen order.
 *
 * Numeric IDs are the hot path of every reader: small non-negative integers (MovieLens,
 * most logs) hit a direct-address table, other numbers a Map, so no string is built per
 * row. A canonical integer string ("42") and the number 42 are the same ID; "042" is not.
 */

/** Direct-address table limit: IDs below this use an Int32Array slot (<= 32 MB). */
const DIRECT_LIMIT = 1 << 23;
const CANONICAL_UINT = /^(0|[1-9]\d{0,14})$/;

export class IdMap {
  /** index + 1 for numeric IDs below DIRECT_LIMIT (0 = absent). */
  private direct = new Int32Array(1024);
  private readonly bigNumbers = new Map<number, number>();
  private readonly strings = new Map<string, number>();
  /** Original ID per dense index (numbers stay numbers until `ids()` asks). */
  private readonly originals: (number | string)[] = [];

  /** Number of distinct IDs seen. */
  get size(): number {
    return this.originals.length;
  }

  /** Dense index of a non-negative integer ID below 2^53, adding it when new. */
  fromNumber(id: number): number {
    // Small and hot: V8 inlines this into the parser loop; new IDs take `add`.
    const d = this.direct;
    if (id < d.length) {
      const v = d[id]!;
      if (v !== 0) return v - 1;
    }
    return this.add(id);
  }

  private add(id: number): number {
    if (id < DIRECT_LIMIT) {
      if (id >= this.direct.length) this.growDirect(id);
      const idx = this.originals.length;
      this.originals.push(id);
      this.direct[id] = idx + 1;
      return idx;
    }
    let idx = this.bigNumbers.get(id);
    if (idx === undefined) {
      idx = this.originals.length;
      this.originals.push(id);
      this.bigNumbers.set(id, idx);
    }
    return idx;
  }

  /** Dense index of a string ID (canonical integers share the numeric path). */
  fromString(id: string): number {
    if (CANONICAL_UINT.test(id)) return this.fromNumber(Number(id));
    let idx = this.strings.get(id);
    if (idx === undefined) {
      idx = this.originals.length;
      this.originals.push(id);
      this.strings.set(id, idx);
    }
    return idx;
  }

  /** Dense index of an ID already seen, or -1. */
  lookup(id: string | number): number {
    if (typeof id === 'number' || CANONICAL_UINT.test(id)) {
      const n = Number(id);
      if (n < DIRECT_LIMIT) return n < this.direct.length ? this.direct[n]! - 1 : -1;
      return this.bigNumbers.get(n) ?? -1;
    }
    return this.strings.get(id) ?? -1;
  }

  /** The original ID of a dense index, as a string. */
  idOf(index: number): string {
    const v = this.originals[index];
    if (v === undefined) throw new RangeError(`no ID with index ${index} (size ${this.size})`);
    return String(v);
  }

  /** All original IDs as strings, by dense index (for Parquet and manifests). */
  ids(): string[] {
    return this.originals.map(String);
  }

  /** A map of the given original IDs, in order (index i = ids[i]). */
  static of(ids: readonly (string | number)[]): IdMap {
    const m = new IdMap();
    for (const id of ids) {
      const before = m.size;
      const idx = typeof id === 'number' ? m.fromNumber(id) : m.fromString(id);
      if (idx !== before) throw new Error(`duplicate ID ${JSON.stringify(id)} in IdMap.of`);
    }
    return m;
  }

  /** The sub-map of `keep` (old dense indices, new order = array order). */
  select(keep: Int32Array): IdMap {
    const m = new IdMap();
    for (let k = 0; k < keep.length; k++) {
      const v = this.originals[keep[k]!]!;
      if (typeof v === 'number') m.fromNumber(v);
      else m.fromString(v);
    }
    return m;
  }

  private growDirect(id: number): void {
    let cap = this.direct.length;
    while (cap <= id) cap *= 2;
    const next = new Int32Array(Math.min(cap, DIRECT_LIMIT));
    next.set(this.direct);
    this.direct = next;
  }
}
