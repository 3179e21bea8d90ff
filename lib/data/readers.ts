import { gunzipSync } from 'node:zlib';
import { delimiterName, guessDelimiter, tokenize } from './delimited.ts';
import type { Record as Rec } from './delimited.ts';
import { BadRowCollector, DataValidationError } from './errors.ts';
import { IdMap, allocInteractions, ensureCapacity, trimmed } from './table.ts';
import type { Interactions, ItemMeta } from './table.ts';

/** A column by header name or by 0-based position (files without a header). */
export type ColumnRef = string | number;

export interface InteractionFormat {
  delimiter: string;
  header: boolean;
  encoding?: 'utf-8' | 'latin1';
  columns: { user: ColumnRef; item: ColumnRef; rating?: ColumnRef; timestamp?: ColumnRef };
  /** Valid rating range, inclusive. @default [-1e9, 1e9] */
  ratingRange?: [number, number];
}

export interface BadRowPolicy {
  policy: 'fail' | 'skip';
  maxBadRowFraction: number;
}

export interface ReadResult {
  table: Interactions;
  users: IdMap;
  items: IdMap;
  /** Data rows seen (good + bad). */
  rowsRead: number;
  badRows: { count: number; samples: string[] };
  /** Timestamps given in milliseconds and normalized to seconds. */
  millisecondTimestamps: number;
}

/** Timestamps at or above this are milliseconds: 1e11 seconds is the year 5138. */
const MS_THRESHOLD = 1e11;

/** Unzips gzip input (by magic bytes); a truncated archive is a precise error. */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new DataValidationError(
      file,
      undefined,
      undefined,
      undefined,
      `a complete gzip file (${(err as Error).message})`,
    );
  }
}

/**
 * Reads interactions from delimited bytes into typed arrays, validating every field.
 * Errors name file, line, column, value and what was expected.
 */
export function readInteractions(
  raw: Uint8Array,
  file: string,
  fmt: InteractionFormat,
  bad: BadRowPolicy = { policy: 'fail', maxBadRowFraction: 0 },
): ReadResult {
  const bytes = maybeGunzip(raw, file);
  if (bytes.length === 0 || (bytes.length === 3 && bytes[0] === 0xef)) {
    throw new DataValidationError(file, undefined, undefined, undefined, 'a non-empty file');
  }
  const collector = new BadRowCollector(bad.policy, bad.maxBadRowFraction);
  const users = new IdMap();
  const items = new IdMap();
  // Rough capacity guess (~20 bytes a row) avoids most regrowth.
  let t = allocInteractions(Math.max(1024, Math.ceil(bytes.length / 20)));
  const [rmin, rmax] = fmt.ratingRange ?? [-1e9, 1e9];
  let idx: { user: number; item: number; rating: number; ts: number; width: number } | undefined;
  let names: string[] = [];
  let rowsRead = 0;
  let msCount = 0;
  const columnName = (i: number) => names[i] ?? `#${i + 1}`;

  const fail = (line: number, col: number, value: string | undefined, expected: string) =>
    collector.report(new DataValidationError(file, line, columnName(col), value, expected));

  const onRecord = (r: Rec) => {
    if (!idx) {
      if (fmt.header) {
        names = Array.from({ length: r.count }, (_, i) => r.text(i).trim());
        idx = resolveColumns(fmt, names, file, r);
        return;
      }
      names = [];
      idx = resolveColumns(fmt, [], file, r);
    }
    rowsRead++;
    if (r.count < idx.width) {
      const missing = [idx.user, idx.item, idx.rating, idx.ts]
        .filter((c) => c >= r.count)
        .sort((a, b) => a - b)[0]!;
      return fail(
        r.line,
        missing,
        undefined,
        `${idx.width} fields separated by ${delimiterName(fmt.delimiter)}, found ${r.count}`,
      );
    }
    const u = readId(r, idx.user, users);
    if (u < 0) return fail(r.line, idx.user, r.text(idx.user), 'a non-empty user ID');
    const it = readId(r, idx.item, items);
    if (it < 0) return fail(r.line, idx.item, r.text(idx.item), 'a non-empty item ID');
    let rating = NaN;
    if (idx.rating >= 0) {
      rating = r.number(idx.rating);
      if (!Number.isFinite(rating))
        return fail(r.line, idx.rating, r.text(idx.rating), 'a finite number');
      if (rating < rmin || rating > rmax)
        return fail(r.line, idx.rating, r.text(idx.rating), `a rating in [${rmin}, ${rmax}]`);
    }
    let ts = NaN;
    if (idx.ts >= 0) {
      ts = r.number(idx.ts);
      if (!Number.isFinite(ts) || ts < 0) {
        return fail(
          r.line,
          idx.ts,
          r.text(idx.ts),
          'a Unix timestamp in seconds or milliseconds (a non-negative number)',
        );
      }
      if (ts >= MS_THRESHOLD) {
        ts /= 1000;
        msCount++;
      }
    }
    if (t.n >= t.user.length) t = ensureCapacity(t, t.n + 1);
    t.user[t.n] = u;
    t.item[t.n] = it;
    t.rating[t.n] = rating;
    t.ts[t.n] = ts;
    t.n++;
  };

  tokenize(
    bytes,
    { delimiter: fmt.delimiter, encoding: fmt.encoding },
    onRecord,
    unterminatedQuote(file),
  );
  if (!idx)
    throw new DataValidationError(file, undefined, undefined, undefined, 'a non-empty file');
  if (rowsRead === 0)
    throw new DataValidationError(
      file,
      2,
      undefined,
      undefined,
      'data rows after the header (the file has a header only)',
    );
  collector.check(file, rowsRead);
  if (t.n === 0)
    throw new DataValidationError(
      file,
      undefined,
      undefined,
      undefined,
      'at least one valid row (every row was bad)',
    );
  return {
    table: trimmed(t),
    users,
    items,
    rowsRead,
    badRows: { count: collector.count, samples: collector.samples },
    millisecondTimestamps: msCount,
  };
}

function unterminatedQuote(file: string): (line: number) => never {
  return (line) => {
    throw new DataValidationError(
      file,
      line,
      undefined,
      undefined,
      'a closing quote (") for the field opened here',
    );
  };
}

function readId(r: Rec, col: number, map: IdMap): number {
  const v = r.canonicalUint(col);
  if (v >= 0) return map.fromNumber(v);
  const s = r.text(col).trim();
  return s === '' ? -1 : map.fromString(s);
}

function resolveColumns(fmt: InteractionFormat, names: string[], file: string, first: Rec) {
  const lower = names.map((n) => n.toLowerCase());
  const find = (ref: ColumnRef | undefined, role: string): number => {
    if (ref === undefined) return -1;
    if (typeof ref === 'number') return ref;
    const i = lower.indexOf(ref.toLowerCase());
    if (i >= 0) return i;
    const guess = guessDelimiter(names.join(fmt.delimiter));
    const hint =
      names.length === 1 && guess && guess !== fmt.delimiter
        ? `; the header has one column - is the file ${delimiterName(guess)}-separated, not ${delimiterName(fmt.delimiter)}-separated?`
        : '';
    throw new DataValidationError(
      file,
      first.line,
      ref,
      undefined,
      `a ${role} column named "${ref}" in the header (found: ${names.map((n) => JSON.stringify(n)).join(', ')})${hint}`,
    );
  };
  const user = find(fmt.columns.user, 'user');
  const item = find(fmt.columns.item, 'item');
  const rating = find(fmt.columns.rating, 'rating');
  const ts = find(fmt.columns.timestamp, 'timestamp');
  if (!fmt.header && first.count === 1 && Math.max(user, item) >= 1) {
    const guess = guessDelimiter(first.text(0));
    throw new DataValidationError(
      file,
      first.line,
      undefined,
      undefined,
      `fields separated by ${delimiterName(fmt.delimiter)}, found none${guess ? ` (the file looks ${delimiterName(guess)}-separated)` : ''}`,
    );
  }
  return { user, item, rating, ts, width: Math.max(user, item, rating, ts) + 1 };
}

export interface ItemFormat {
  delimiter: string;
  header: boolean;
  encoding?: 'utf-8' | 'latin1';
  columns: { id: ColumnRef; title?: ColumnRef; genres?: ColumnRef };
  /** ml-100k's u.item: genre flags in these columns, named by `genreNames`. */
  genreFlags?: { first: number; names: string[] };
}

/**
 * Reads item metadata and aligns it to the dense item index of `items`; items without
 * metadata get an empty title. Unknown item IDs in the metadata file are ignored.
 */
export function readItemMeta(
  raw: Uint8Array,
  file: string,
  fmt: ItemFormat,
  items: IdMap,
): ItemMeta {
  const bytes = maybeGunzip(raw, file);
  const meta: ItemMeta = {
    title: new Array<string>(items.size).fill(''),
    genres: new Array<string>(items.size).fill(''),
  };
  let header = !fmt.header;
  let cols = { id: -1, title: -1, genres: -1 };
  tokenize(
    bytes,
    { delimiter: fmt.delimiter, encoding: fmt.encoding },
    (r) => {
      if (!header) {
        const names = Array.from({ length: r.count }, (_, i) => r.text(i).trim().toLowerCase());
        const find = (ref: ColumnRef | undefined) => {
          if (ref === undefined) return -1;
          if (typeof ref === 'number') return ref;
          const i = names.indexOf(ref.toLowerCase());
          if (i < 0) {
            throw new DataValidationError(
              file,
              r.line,
              ref,
              undefined,
              `an item metadata column named "${ref}" (found: ${names.join(', ')})`,
            );
          }
          return i;
        };
        cols = {
          id: find(fmt.columns.id),
          title: find(fmt.columns.title),
          genres: find(fmt.columns.genres),
        };
        header = true;
        return;
      }
      if (cols.id < 0)
        cols = {
          id: fmt.columns.id as number,
          title: (fmt.columns.title as number) ?? -1,
          genres: (fmt.columns.genres as number) ?? -1,
        };
      if (r.count <= cols.id) return;
      const i = items.lookup(r.text(cols.id).trim());
      if (i < 0) return;
      if (cols.title >= 0 && cols.title < r.count) meta.title[i] = r.text(cols.title).trim();
      if (cols.genres >= 0 && cols.genres < r.count) meta.genres[i] = r.text(cols.genres).trim();
      if (fmt.genreFlags) {
        const g: string[] = [];
        fmt.genreFlags.names.forEach((name, k) => {
          if (r.text(fmt.genreFlags!.first + k) === '1') g.push(name);
        });
        meta.genres[i] = g.join('|');
      }
    },
    unterminatedQuote(file),
  );
  return meta;
}
