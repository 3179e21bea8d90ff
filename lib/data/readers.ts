/**
 * Readers from local files (or bytes) into typed-array tables: delimited interaction files
 * (through the chunked parser), Parquet interaction files with a column mapping, and item
 * metadata files aligned to an item IdMap.
 */
import { stat } from 'node:fs/promises';
import { feedBytes, feedFile } from './byte-source.ts';
import { forEachRecord } from './delimited.ts';
import { DataValidationError, quote } from './errors.ts';
import type { BadRowPolicy } from './errors.ts';
import type { IdMap } from './id-map.ts';
import { ItemCoverage, yearOf } from './item-meta.ts';
import type { ItemFormat } from './item-meta.ts';
import { readItemMetaParquet } from './item-meta-parquet.ts';
import { InteractionParser } from './interaction-parser.ts';
import type { ColumnRef, DelimitedFormat, ReadResult } from './interaction-parser.ts';
import { readParquetInput } from './parquet-input.ts';
import { ValueRows } from './value-rows.ts';
import type { ValueColumns } from './value-rows.ts';
import { emptyItemMeta } from './table.ts';
import type { ItemMeta } from './table.ts';

export interface ReadOptions {
  /** Name used in error messages. @default the path, or "input" for bytes */
  label?: string;
  /** @default fail on the first bad row */
  badRows?: BadRowPolicy;
}

export type { ItemFormat } from './item-meta.ts';

/** Bytes per row of a typical ratings file, to size the output arrays once. */
const BYTES_PER_ROW = 20;

/** Reads a delimited interaction file (plain or gzip) or in-memory bytes. */
export async function readDelimited(
  source: string | Uint8Array,
  fmt: DelimitedFormat,
  opts: ReadOptions = {},
): Promise<ReadResult> {
  if (typeof source !== 'string') {
    const label = opts.label ?? 'input';
    const parser = new InteractionParser(label, fmt, opts.badRows, source.length / BYTES_PER_ROW);
    feedBytes(source, label, parser);
    return parser.finish();
  }
  const label = opts.label ?? source;
  let size = 0;
  try {
    size = (await stat(source)).size;
  } catch {
    // feedFile reports the missing file precisely.
  }
  const parser = new InteractionParser(label, fmt, opts.badRows, size / BYTES_PER_ROW);
  await feedFile(source, label, parser);
  return parser.finish();
}

/** Column names of a Parquet interaction file. */
export type ParquetColumns = ValueColumns;

/**
 * Reads interactions from a Parquet file with a column mapping. IDs may be integers or
 * strings; ratings and timestamps any numeric type (INT64 timestamps in ms are detected as
 * for text files; TIMESTAMP logical types are converted to seconds). Errors name the row.
 */
export async function readParquetInteractions(
  source: string | Uint8Array,
  cols: ParquetColumns,
  opts: ReadOptions & { ratingRange?: [number, number] } = {},
): Promise<ReadResult> {
  const label = opts.label ?? (typeof source === 'string' ? source : 'input');
  const wanted = [cols.user, cols.item, cols.rating, cols.timestamp].filter(
    (c): c is string => c !== undefined,
  );
  const data = await readParquetInput(source, label, wanted);
  const n = data.rows;
  if (n === 0)
    throw new DataValidationError({
      file: label,
      problem: 'the file has no rows',
      expected: 'at least one row',
    });
  const rows = new ValueRows(label, cols, opts, n);
  const [u, i] = [data.columns[cols.user]!, data.columns[cols.item]!];
  const r = cols.rating ? data.columns[cols.rating]! : undefined;
  const t = cols.timestamp ? data.columns[cols.timestamp]! : undefined;
  for (let k = 0; k < n; k++) rows.add(k + 1, u[k], i[k], r?.[k], t?.[k]);
  return rows.finish(n);
}

/**
 * Reads item metadata and aligns it to `items` (dense item indices). Items without a line
 * get empty fields; lines for items that have no interactions are ignored. Without a year
 * column, a trailing `(1995)` in the title gives the year, as in MovieLens.
 */
export async function readItemMeta(
  source: string | Uint8Array,
  fmt: ItemFormat,
  items: IdMap,
  opts: { label?: string } = {},
): Promise<ItemMeta> {
  const label = opts.label ?? (typeof source === 'string' ? source : 'input');
  if (fmt.parquet) return readItemMetaParquet(source, fmt, items, label);
  let bytes: Uint8Array = new Uint8Array(0);
  if (typeof source === 'string') {
    // Metadata is catalog-sized: collect the (possibly gunzipped) bytes, then tokenize.
    const parts: Uint8Array[] = [];
    await feedFile(source, label, {
      currentLine: 0,
      feed(b, end) {
        // Collect everything: chunk boundaries do not matter for a plain copy.
        parts.push(b.slice(0, end));
        return end;
      },
    });
    bytes = new Uint8Array(Buffer.concat(parts));
  } else {
    feedBytes(source, label, {
      currentLine: 0,
      feed(b, end) {
        bytes = b.subarray(0, end);
        return end;
      },
    });
  }
  const meta = emptyItemMeta(items.size);
  const enc = fmt.encoding ?? 'utf-8';
  const sep = fmt.genreSeparator ?? '|';
  let cols: Record<'id' | 'title' | 'genres' | 'year' | 'text', number> | undefined;
  const coverage = new ItemCoverage();
  forEachRecord(
    bytes,
    fmt.delimiter,
    enc,
    (r) => {
      if (!cols) {
        const names = fmt.header ? Array.from({ length: r.count }, (_, i) => r.text(i).trim()) : [];
        const lower = names.map((x) => x.toLowerCase());
        const find = (ref: ColumnRef | undefined, required: boolean): number => {
          if (ref === undefined) return -1;
          if (typeof ref === 'number') return ref;
          const i = lower.indexOf(ref.toLowerCase());
          if (i < 0 && required)
            throw new DataValidationError({
              file: label,
              line: r.line,
              column: ref,
              problem: `no column ${quote(ref)} in the header (columns: ${names.map((x) => quote(x)).join(', ')})`,
              expected: `an item metadata header with a column named ${quote(ref)}`,
            });
          return i;
        };
        const req = !fmt.optionalColumns;
        cols = {
          id: find(fmt.columns.id, true),
          title: find(fmt.columns.title, req),
          genres: find(fmt.columns.genres, false),
          year: find(fmt.columns.year, false),
          text: find(fmt.columns.text, false),
        };
        if (fmt.header) return;
      }
      const i = coverage.lookup(items, r.text(cols.id).trim());
      if (i < 0) return;
      const title = cols.title >= 0 ? r.text(cols.title).trim() : '';
      meta.title[i] = title;
      if (cols.genres >= 0)
        meta.genres[i] = r.text(cols.genres).trim().split(sep).filter(Boolean).join('|');
      if (fmt.genreFlags) {
        const g: string[] = [];
        fmt.genreFlags.names.forEach((name, k) => {
          if (r.text(fmt.genreFlags!.first + k).trim() === '1') g.push(name);
        });
        meta.genres[i] = g.join('|');
      }
      if (cols.text >= 0) meta.text[i] = r.text(cols.text).trim();
      let year = cols.year >= 0 ? Number(r.text(cols.year).trim()) : NaN;
      if (!Number.isInteger(year) && fmt.dateColumn !== undefined)
        year = Number(/(\d{4})\s*$/.exec(r.text(fmt.dateColumn))?.[1]);
      meta.year[i] = yearOf(year, title);
    },
    (line) => {
      throw new DataValidationError({
        file: label,
        line,
        problem: 'a quoted field is never closed',
        expected: 'a closing quote (") for the field opened on this line',
      });
    },
  );
  if (!cols || coverage.rows === 0)
    throw new DataValidationError({
      file: label,
      problem: cols ? 'there are no item rows after the header' : 'the file is empty',
      expected: 'item metadata rows',
    });
  coverage.check(items, label, typeof fmt.columns.id === 'string' ? fmt.columns.id : undefined);
  return meta;
}
