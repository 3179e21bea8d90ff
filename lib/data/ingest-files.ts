/**
 * Ingest from bytes: the path the ingest activity takes, because its sources may live in
 * S3 (a key, a MovieLens folder under a prefix, or the parts of a log under a prefix or
 * glob) and are read as bytes, not local paths.
 * `ingestToTable` is the same for local paths.
 */
import { concatParts } from './concat-parts.ts';
import type { BadRowPolicy } from './errors.ts';
import { DataValidationError } from './errors.ts';
import type { ReadResult } from './interaction-parser.ts';
import { detectLayout } from './movielens.ts';
import { readDelimited, readItemMeta, readParquetInteractions } from './readers.ts';
import type { SourceSpec } from './sources.ts';
import { generateSyntheticAsync } from './synthetic.ts';
import { emptyItemMeta } from './table.ts';
import type { IdMap } from './id-map.ts';
import type { Interactions, ItemMeta } from './table.ts';

/** Access to the files of a source location (local or S3), as bytes. */
export interface SourceFiles {
  list(): Promise<string[]>;
  read(name: string): Promise<{ bytes: Uint8Array; label: string }>;
}

export interface FilesIngestResult {
  table: Interactions;
  users: IdMap;
  items: IdMap;
  meta: ItemMeta;
  format: string;
  rowsRead: number;
  badRows: { count: number; samples: string[] };
  millisecondTimestamps: number;
}

/** `base` or `base.gz` among a folder's file names. */
function pickFile(names: string[], base: string): string | undefined {
  return names.find((n) => n === base || n === `${base}.gz`);
}

/**
 * The file of a folder's listing that `ingestSource` reads first (MovieLens: the ratings,
 * else the first part), so a caller hashing the files can keep that one's bytes for it.
 */
export function firstFileRead(spec: SourceSpec, names: string[]): string | undefined {
  if (spec.kind === 'synthetic') return undefined;
  if (spec.kind !== 'movielens') return names[0];
  const layout = detectLayout(names);
  return layout && pickFile(names, layout.ratingsFile);
}

/** Reads any source whose files are given as bytes into typed arrays with ID maps. */
export async function ingestSource(
  spec: SourceSpec,
  files: SourceFiles | undefined,
  bad: BadRowPolicy,
): Promise<FilesIngestResult> {
  if (spec.kind === 'synthetic') {
    const g = await generateSyntheticAsync(spec);
    return {
      table: g.table,
      users: g.users,
      items: g.items,
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
    const rf = await files.read(pickFile(names, layout.ratingsFile)!);
    r = await readDelimited(rf.bytes, layout.ratings, { label: rf.label, badRows: bad });
    const itemsName = pickFile(names, layout.itemsFile);
    if (itemsName) {
      const mf = await files.read(itemsName);
      meta = await readItemMeta(mf.bytes, layout.items, r.items, { label: mf.label });
    }
    format = layout.name;
  } else {
    // One file, or every part of a folder, prefix or glob (in name order), concatenated.
    const names = await files.list();
    const parts: ReadResult[] = [];
    for (const name of names.length ? names : ['']) {
      const f = await files.read(name);
      parts.push(
        spec.kind === 'delimited'
          ? await readDelimited(f.bytes, spec.format, { label: f.label, badRows: bad })
          : await readParquetInteractions(f.bytes, spec.columns, { label: f.label, badRows: bad }),
      );
    }
    r = concatParts(parts);
    if (names.length > 1) format = `${spec.kind} (${names.length} parts)`;
  }
  return {
    table: r.table,
    users: r.users,
    items: r.items,
    meta: meta ?? emptyItemMeta(r.items.size),
    format,
    rowsRead: r.dataRows,
    badRows: r.badRows,
    millisecondTimestamps: r.timestampUnit === 'ms' ? r.table.n : 0,
  };
}
