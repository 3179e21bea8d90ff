/**
 * Ingest from a source's files: the one reading path. The ingest activity gives it bytes
 * (its sources may live in S3: a key, a MovieLens folder under a prefix, or the parts of a
 * log under a prefix or glob); `ingestToTable` gives it local paths to stream.
 */
import { concatParts } from './concat-parts.ts';
import type { BadRowPolicy } from './errors.ts';
import { DataValidationError } from './errors.ts';
import type { ReadResult } from './interaction-parser.ts';
import { detectLayout } from './movielens.ts';
import { readJsonLines } from './json-lines.ts';
import { readDelimited, readItemMeta, readParquetInteractions } from './readers.ts';
import type { ItemFormat } from './readers.ts';
import type { SourceSpec } from './sources.ts';
import { generateSyntheticAsync } from './synthetic.ts';
import { emptyItemMeta } from './table.ts';
import type { IdMap } from './id-map.ts';
import type { Interactions, ItemMeta } from './table.ts';

/**
 * Access to the files of a source location (local or S3): a file's bytes, or the path of a
 * local file for the readers to stream. `list` is empty for a single file, read as `''`.
 */
export interface SourceFiles {
  list(): Promise<string[]>;
  read(name: string): Promise<{ data: Uint8Array | string; label: string }>;
}

/** An item-metadata file (the config's `data.items`) and how to read it. */
export interface ItemsFile {
  files: SourceFiles;
  format: ItemFormat;
  /** Where it is, for messages. */
  location: string;
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
  /** Unit the source's timestamps were in (the table is always in seconds). */
  timestampUnit: 's' | 'ms' | 'none';
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

/**
 * Reads any source into typed arrays with ID maps. `items` (the config's `data.items`)
 * replaces the metadata a MovieLens folder brings.
 */
export async function ingestSource(
  spec: SourceSpec,
  files: SourceFiles | undefined,
  bad: BadRowPolicy,
  items?: ItemsFile,
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
      timestampUnit: 's',
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
        problem: names.length
          ? `no MovieLens ratings file here (found: ${names.slice(0, 10).join(', ')})`
          : 'this is one file, not a MovieLens folder',
        expected: names.length
          ? 'ratings.csv (ml-latest), u.data (ml-100k) or ratings.dat (ml-1m/ml-10m)'
          : 'movielens:<the folder holding ratings.csv, u.data or ratings.dat>, or csv:/tsv: with a column mapping for a single file',
      });
    const rf = await files.read(pickFile(names, layout.ratingsFile)!);
    r = await readDelimited(rf.data, layout.ratings, { label: rf.label, badRows: bad });
    const itemsName = pickFile(names, layout.itemsFile);
    if (itemsName && !items) {
      const mf = await files.read(itemsName);
      meta = await readItemMeta(mf.data, layout.items, r.items, { label: mf.label });
    }
    format = layout.name;
  } else {
    // One file, or every part of a folder, prefix or glob (in name order), concatenated.
    const names = await files.list();
    const parts: ReadResult[] = [];
    for (const name of names.length ? names : ['']) {
      const f = await files.read(name);
      const read = { label: f.label, badRows: bad };
      parts.push(
        spec.kind === 'delimited'
          ? await readDelimited(f.data, spec.format, read)
          : spec.kind === 'jsonl'
            ? await readJsonLines(f.data, spec.columns, {
                ...read,
                ratingRange: spec.ratingRange,
                optional: spec.optional,
              })
            : await readParquetInteractions(f.data, spec.columns, {
                ...read,
                ratingRange: spec.ratingRange,
              }),
      );
    }
    r = concatParts(parts);
    if (names.length > 1) format = `${spec.kind} (${names.length} parts)`;
  }
  if (items) meta = await readItemsFile(items, r.items);
  return {
    table: r.table,
    users: r.users,
    items: r.items,
    meta: meta ?? emptyItemMeta(r.items.size),
    format,
    rowsRead: r.dataRows,
    badRows: r.badRows,
    millisecondTimestamps: r.timestampUnit === 'ms' ? r.table.n : 0,
    timestampUnit: r.timestampUnit,
  };
}

/** The item metadata of `data.items`, aligned to the log's items; it must be one file. */
async function readItemsFile(items: ItemsFile, ids: IdMap): Promise<ItemMeta> {
  const names = await items.files.list();
  if (names.length > 1)
    throw new DataValidationError({
      file: items.location,
      problem: `data.items names ${names.length} files (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})`,
      expected: 'one item-metadata file',
    });
  const f = await items.files.read(names[0] ?? '');
  return readItemMeta(f.data, items.format, ids, { label: f.label });
}
