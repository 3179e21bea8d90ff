/**
 * @deprecated The first data-layer API, kept so the existing ingest/preprocess activities
 * and integration tests compile while they move to `ingestToTable`, `preprocess(input,
 * cfg)`, `writeParquet`/`readParquet` and the `*Parquet` table helpers. Delete this file
 * once nothing imports it.
 */
import type { BadRowPolicy } from './errors.ts';
import { DataValidationError } from './errors.ts';
import type { ReadResult } from './interaction-parser.ts';
import { detectLayout } from './movielens.ts';
import { readParquet, writeParquet } from './parquet.ts';
import type { ColumnData, ReadColumn } from './parquet.ts';
import { readDelimited, readItemMeta, readParquetInteractions } from './readers.ts';
import type { SourceSpec } from './sources.ts';
import { generateSynthetic } from './synthetic.ts';
import { emptyItemMeta } from './table.ts';
import type { Interactions, ItemMeta } from './table.ts';

/** @deprecated Access to the files of a source location (local or S3), as bytes. */
export interface SourceFiles {
  list(): Promise<string[]>;
  read(name: string): Promise<{ bytes: Uint8Array; label: string }>;
}

/** @deprecated Use `ingestToTable`. */
export interface LegacyIngestResult {
  table: Interactions;
  users: { size: number; ids: string[] };
  items: { size: number; ids: string[] };
  meta: ItemMeta;
  format: string;
  rowsRead: number;
  badRows: { count: number; samples: string[] };
  millisecondTimestamps: number;
}

/** @deprecated Use `ingestToTable` on a local path. */
export async function ingestSource(
  spec: SourceSpec,
  files: SourceFiles | undefined,
  bad: BadRowPolicy,
): Promise<LegacyIngestResult> {
  if (spec.kind === 'synthetic') {
    const g = generateSynthetic(spec);
    return {
      table: g.table,
      users: { size: g.users.size, ids: g.users.ids() },
      items: { size: g.items.size, ids: g.items.ids() },
      meta: g.meta,
      format: 'synthetic',
      rowsRead: g.table.n,
      badRows: { count: 0, samples: [] },
      millisecondTimestamps: 0,
    };
  }
  if (!files) throw new Error(`source ${spec.kind} needs files`);
  let r: ReadResult;
  let meta: ItemMeta | undefined;
  let format: string = spec.kind;
  if (spec.kind === 'movielens') {
    const names = await files.list();
    const layout = detectLayout(names);
    if (!layout)
      throw new DataValidationError({
        file: spec.location,
        problem: `no MovieLens ratings file here (found: ${names.slice(0, 10).join(', ') || 'nothing'})`,
        expected: 'ratings.csv (ml-latest), u.data (ml-100k) or ratings.dat (ml-1m/ml-10m)',
      });
    const pick = (base: string) => names.find((n) => n === base || n === `${base}.gz`);
    const rf = await files.read(pick(layout.ratingsFile)!);
    r = await readDelimited(rf.bytes, layout.ratings, { label: rf.label, badRows: bad });
    const itemsName = pick(layout.itemsFile);
    if (itemsName) {
      const mf = await files.read(itemsName);
      meta = await readItemMeta(mf.bytes, layout.items, r.items, { label: mf.label });
    }
    format = layout.name;
  } else if (spec.kind === 'delimited') {
    const f = await files.read('');
    r = await readDelimited(f.bytes, spec.format, { label: f.label, badRows: bad });
  } else {
    const f = await files.read('');
    r = await readParquetInteractions(f.bytes, spec.columns, { label: f.label, badRows: bad });
  }
  return {
    table: r.table,
    users: { size: r.users.size, ids: r.users.ids() },
    items: { size: r.items.size, ids: r.items.ids() },
    meta: meta ?? emptyItemMeta(r.items.size),
    format,
    rowsRead: r.dataRows,
    badRows: r.badRows,
    millisecondTimestamps: r.timestampUnit === 'ms' ? r.table.n : 0,
  };
}

/** @deprecated Use `writeParquet(path, { name: data, ... })`. */
export async function writeColumns(
  path: string,
  columns: { name: string; type: 'INT32' | 'FLOAT' | 'DOUBLE' | 'STRING'; data: ColumnData }[],
): Promise<Record<string, string>> {
  const cols: Record<string, ColumnData> = {};
  for (const c of columns) cols[c.name] = c.data;
  return (await writeParquet(path, cols)).schema;
}

/** @deprecated Use `readParquet(source, { columns })`. */
export async function readColumns(
  source: string | Uint8Array,
  names: string[],
): Promise<Record<string, ReadColumn>> {
  return (await readParquet(source, { columns: names })).columns;
}

/** @deprecated Use `writeInteractionsParquet`. */
export async function writeInteractions(
  path: string,
  t: Interactions,
): Promise<Record<string, string>> {
  return (
    await writeParquet(path, {
      user: t.user.subarray(0, t.n),
      item: t.item.subarray(0, t.n),
      rating: t.rating.subarray(0, t.n),
      ts: t.ts.subarray(0, t.n),
    })
  ).schema;
}

const indices = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** @deprecated Use `writeUsersParquet(path, idMap)`. */
export async function writeUserTable(path: string, ids: string[]): Promise<Record<string, string>> {
  return (await writeParquet(path, { user: indices(ids.length), id: ids })).schema;
}

/** @deprecated Use `writeItemsParquet(path, idMap, meta)` (adds year and text). */
export async function writeItemTable(
  path: string,
  ids: string[],
  meta: { title: string[]; genres: string[] },
): Promise<Record<string, string>> {
  return (
    await writeParquet(path, {
      item: indices(ids.length),
      id: ids,
      title: meta.title,
      genres: meta.genres,
    })
  ).schema;
}
