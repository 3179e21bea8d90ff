/**
 * The pipeline's tables as Parquet files: interactions (user, item, rating, ts), users
 * (user, id) and items (item, id, title, genres, year, text). Column names and types are a
 * contract with every later stage and with users reading the artifacts in pyarrow/Spark.
 */
import { DataValidationError } from './errors.ts';
import { IdMap } from './id-map.ts';
import { readParquetInput } from './parquet-input.ts';
import { writeParquet } from './parquet.ts';
import type { Interactions, ItemMeta } from './table.ts';

/** Result of a table write: rows, file size, the schema for manifests and the file's sha256. */
export interface WrittenTable {
  rows: number;
  bytes: number;
  schema: Record<string, string>;
  sha256: string;
}

/** Writes an interaction table: user int32, item int32, rating float, ts double. */
export function writeInteractionsParquet(path: string, t: Interactions): Promise<WrittenTable> {
  return writeParquet(path, {
    user: t.user.subarray(0, t.n),
    item: t.item.subarray(0, t.n),
    rating: t.rating.subarray(0, t.n),
    ts: t.ts.subarray(0, t.n),
  });
}

/** Reads an interaction table written by `writeInteractionsParquet` (or any file with those columns). */
export async function readInteractionsParquet(source: string | Uint8Array): Promise<Interactions> {
  const label = typeof source === 'string' ? source : 'interactions';
  const f = await readParquetInput(source, label, ['user', 'item', 'rating', 'ts']);
  const n = f.rows;
  return {
    n,
    user: asInt32(f.columns.user, n, label, 'user'),
    item: asInt32(f.columns.item, n, label, 'item'),
    rating:
      f.columns.rating instanceof Float32Array
        ? f.columns.rating
        : Float32Array.from(f.columns.rating as ArrayLike<number>, nullToNaN),
    ts:
      f.columns.ts instanceof Float64Array
        ? f.columns.ts
        : Float64Array.from(f.columns.ts as ArrayLike<number>, nullToNaN),
  };
}

/** Writes the user ID map: user int32 (dense index), id string (original ID). */
export function writeUsersParquet(path: string, users: IdMap): Promise<WrittenTable> {
  return writeParquet(path, { user: iota(users.size), id: users.ids() });
}

/** Reads a user ID map written by `writeUsersParquet`. */
export async function readUsersParquet(source: string | Uint8Array): Promise<IdMap> {
  const label = typeof source === 'string' ? source : 'users';
  const f = await readParquetInput(source, label, ['user', 'id']);
  return IdMap.of(inIndexOrder(f.columns.user, f.columns.id as string[], label));
}

/** Writes items with metadata: item int32, id, title, genres, text strings, year int32 (0 = unknown). */
export function writeItemsParquet(
  path: string,
  items: IdMap,
  meta: ItemMeta,
): Promise<WrittenTable> {
  return writeParquet(path, {
    item: iota(items.size),
    id: items.ids(),
    title: meta.title,
    genres: meta.genres,
    year: meta.year,
    text: meta.text,
  });
}

/** Reads items written by `writeItemsParquet` into an ID map and aligned metadata. */
export async function readItemsParquet(
  source: string | Uint8Array,
): Promise<{ items: IdMap; meta: ItemMeta }> {
  const label = typeof source === 'string' ? source : 'items';
  const f = await readParquetInput(source, label, [
    'item',
    'id',
    'title',
    'genres',
    'year',
    'text',
  ]);
  const index = asInt32(f.columns.item, f.rows, label, 'item');
  const items = IdMap.of(inIndexOrder(index, f.columns.id as string[], label));
  const pick = (col: string[]) => {
    const out = new Array<string>(f.rows);
    for (let k = 0; k < f.rows; k++) out[index[k]!] = col[k] ?? '';
    return out;
  };
  const year = new Int32Array(f.rows);
  const y = asInt32(f.columns.year, f.rows, label, 'year');
  for (let k = 0; k < f.rows; k++) year[index[k]!] = y[k]!;
  return {
    items,
    meta: {
      title: pick(f.columns.title as string[]),
      genres: pick(f.columns.genres as string[]),
      year,
      text: pick(f.columns.text as string[]),
    },
  };
}

function iota(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function asInt32(col: unknown, n: number, label: string, name: string): Int32Array {
  if (col instanceof Int32Array) return col;
  const out = new Int32Array(n);
  const src = col as ArrayLike<unknown>;
  for (let k = 0; k < n; k++) {
    const v = Number(src[k]);
    if (!Number.isInteger(v))
      throw new DataValidationError({
        file: label,
        line: k + 1,
        lineKind: 'row',
        column: name,
        value: String(src[k]),
        expected: 'an integer index',
      });
    out[k] = v;
  }
  return out;
}

function inIndexOrder(index: unknown, ids: string[], label: string): string[] {
  const idx = asInt32(index, ids.length, label, 'index');
  const out = new Array<string>(ids.length);
  for (let k = 0; k < ids.length; k++) {
    const i = idx[k]!;
    if (i < 0 || i >= ids.length || out[i] !== undefined)
      throw new DataValidationError({
        file: label,
        line: k + 1,
        lineKind: 'row',
        value: String(i),
        expected: `each index 0..${ids.length - 1} exactly once`,
      });
    out[i] = String(ids[k]);
  }
  return out;
}

function nullToNaN(v: unknown): number {
  return v === null || v === undefined ? NaN : Number(v);
}
