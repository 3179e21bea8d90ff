/**
 * Columnar tables. Millions of rows live in typed arrays, never as per-row objects; IDs
 * are dense indices whose original values live in an IdMap.
 */
import type { IdMap } from './id-map.ts';

/** An interaction log: row k is (user[k], item[k], rating[k], ts[k]). */
export interface Interactions {
  /** Number of rows; every array has exactly this length. */
  n: number;
  /** Dense user index. */
  user: Int32Array;
  /** Dense item index. */
  item: Int32Array;
  /** Explicit rating; NaN where the source has none (implicit feedback). */
  rating: Float32Array;
  /** Seconds since the Unix epoch; NaN where the source has no timestamp. */
  ts: Float64Array;
}

/** Item metadata aligned to dense item indices. Catalog-sized, so plain arrays are fine. */
export interface ItemMeta {
  /** Title per item ('' when unknown). */
  title: string[];
  /** Pipe-separated genres as in MovieLens (`Action|Comedy`), '' when unknown. */
  genres: string[];
  /** Release year, 0 when unknown. */
  year: Int32Array;
  /** Free text (description, tags), '' when unknown. */
  text: string[];
}

/** Both ID maps of a table. */
export interface IdMaps {
  users: IdMap;
  items: IdMap;
}

/** A table of `n` zero rows (rating and ts NaN). */
export function allocInteractions(n: number): Interactions {
  return {
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    rating: new Float32Array(n).fill(NaN),
    ts: new Float64Array(n).fill(NaN),
  };
}

/** Metadata for `n` items with nothing known. */
export function emptyItemMeta(n: number): ItemMeta {
  return {
    title: new Array<string>(n).fill(''),
    genres: new Array<string>(n).fill(''),
    year: new Int32Array(n),
    text: new Array<string>(n).fill(''),
  };
}

/** Items with any metadata (how much of the catalog a metadata file covered). */
export function itemsWithMetadata(meta: ItemMeta): number {
  let n = 0;
  for (let i = 0; i < meta.title.length; i++)
    if (meta.title[i] || meta.genres[i] || meta.year[i] || meta.text[i]) n++;
  return n;
}

/** Metadata rows picked by old item index (`origin[new] = old`). */
export function selectItemMeta(meta: ItemMeta, origin: Int32Array): ItemMeta {
  const n = origin.length;
  const out = emptyItemMeta(n);
  for (let i = 0; i < n; i++) {
    const o = origin[i]!;
    out.title[i] = meta.title[o] ?? '';
    out.genres[i] = meta.genres[o] ?? '';
    out.year[i] = meta.year[o] ?? 0;
    out.text[i] = meta.text[o] ?? '';
  }
  return out;
}

/** Rows where `part[k] === value` (default: nonzero), in order, as a new table. */
export function filterRows(t: Interactions, part: Uint8Array, value?: number): Interactions {
  let m = 0;
  for (let k = 0; k < t.n; k++) if (value === undefined ? part[k] : part[k] === value) m++;
  const out: Interactions = {
    n: m,
    user: new Int32Array(m),
    item: new Int32Array(m),
    rating: new Float32Array(m),
    ts: new Float64Array(m),
  };
  let j = 0;
  for (let k = 0; k < t.n; k++) {
    if (value === undefined ? !part[k] : part[k] !== value) continue;
    out.user[j] = t.user[k]!;
    out.item[j] = t.item[k]!;
    out.rating[j] = t.rating[k]!;
    out.ts[j] = t.ts[k]!;
    j++;
  }
  return out;
}

/** Checks the invariants every consumer relies on; throws naming the first violation. */
export function assertTable(t: Interactions, nUsers: number, nItems: number): void {
  for (const [name, a] of Object.entries({
    user: t.user,
    item: t.item,
    rating: t.rating,
    ts: t.ts,
  }))
    if (a.length !== t.n) throw new Error(`table column ${name} has ${a.length} rows, n = ${t.n}`);
  for (let k = 0; k < t.n; k++) {
    const u = t.user[k]!;
    const i = t.item[k]!;
    if (u < 0 || u >= nUsers) throw new Error(`row ${k}: user index ${u} outside [0, ${nUsers})`);
    if (i < 0 || i >= nItems) throw new Error(`row ${k}: item index ${i} outside [0, ${nItems})`);
  }
}
