/**
 * The hot path of ingest: delimited interaction bytes -> typed arrays, validating every
 * field. Bytes arrive in chunks (a file read piece by piece, or a gunzip stream); each
 * `feed` parses the complete records in the chunk and returns how many bytes it used, so
 * the caller carries the tail over. No line strings, no per-row objects: fields are byte
 * ranges, numbers are parsed from bytes, numeric IDs go through a direct-address table.
 */
import {
  CR,
  LF,
  MAX_FIELDS,
  QUOTE,
  canonicalUint,
  delimiterBytes,
  delimiterName,
  fieldText,
  guessDelimiter,
  parseNumber,
} from './delimited.ts';
import { isoDateSeconds } from './dates.ts';
import { BadRowCollector, DataValidationError, FAIL_ON_BAD_ROWS, quote } from './errors.ts';
import type { BadRowPolicy, BadRowReport } from './errors.ts';
import { IdMap } from './id-map.ts';
import type { Interactions } from './table.ts';

/** A column by header name (case-insensitive) or by 0-based position. */
export type ColumnRef = string | number;

/** How to read a delimited interaction file. */
export interface DelimitedFormat {
  /** `,` `\t` `;` `|` `::` or any other byte sequence. */
  delimiter: string;
  /** Whether the first non-blank line names the columns. */
  header: boolean;
  columns: { user: ColumnRef; item: ColumnRef; rating?: ColumnRef; timestamp?: ColumnRef };
  /** Valid ratings, inclusive. @default any finite number */
  ratingRange?: [number, number];
  /**
   * Unit of the timestamp column. `auto` decides from the first timestamp (>= 1e11 means
   * milliseconds: 1e11 s is the year 5138) and requires the rest to agree. @default auto
   */
  timestampUnit?: 'auto' | 's' | 'ms';
  /** Named columns that may be absent from the header (then treated as not given). */
  optional?: readonly ('rating' | 'timestamp')[];
}

/** What a reader returns: the table, its ID maps, and what happened on the way. */
export interface ReadResult {
  table: Interactions;
  users: IdMap;
  items: IdMap;
  /** Data rows seen (good + bad, header excluded). */
  dataRows: number;
  badRows: BadRowReport;
  /** The unit the timestamps were given in (normalized to seconds in the table). */
  timestampUnit: 's' | 'ms' | 'none';
}

const MS_THRESHOLD = 1e11;
/** What a timestamp may be, in every reader's messages. */
export const TIMESTAMP_EXPECTED =
  'a non-negative Unix timestamp in seconds or milliseconds, or an ISO 8601 date from 1970 on (2016-03-09, 2016-03-09T00:44:42Z)';
const ROLE_USER = 1;
const ROLE_ITEM = 2;
const ROLE_RATING = 3;
const ROLE_TS = 4;

/** Chunked parser of one interaction file. Use `feed` repeatedly, then `finish`. */
export class InteractionParser {
  readonly users = new IdMap();
  readonly items = new IdMap();
  private readonly bad: BadRowCollector;
  private readonly delim: Uint8Array;
  private readonly starts = new Int32Array(MAX_FIELDS);
  private readonly ends = new Int32Array(MAX_FIELDS);
  private readonly quoted = new Uint8Array(MAX_FIELDS);
  private names: string[] = [];
  private cols = { user: -1, item: -1, rating: -1, ts: -1, width: 0 };
  /** Role per field position for the fast path (0 = ignored). */
  private roles = new Uint8Array(0);
  private fastOk = false;
  private resolved = false;
  private atStart = true;
  private line = 1;
  private dataRows = 0;
  private unit = 0; // 0 = undecided, 1 = seconds, 1000 = milliseconds
  private unitLine = 0;
  private readonly rmin: number;
  private readonly rmax: number;
  // Output columns, grown by 1.5x.
  private n = 0;
  private user: Int32Array;
  private item: Int32Array;
  private rating: Float32Array;
  private ts: Float64Array;

  constructor(
    readonly file: string,
    readonly fmt: DelimitedFormat,
    badRows: BadRowPolicy = FAIL_ON_BAD_ROWS,
    /** Expected number of rows, to size the output once. */
    capacity = 1 << 16,
  ) {
    this.bad = new BadRowCollector(badRows);
    this.delim = delimiterBytes(fmt.delimiter);
    [this.rmin, this.rmax] = fmt.ratingRange ?? [-Infinity, Infinity];
    if (fmt.timestampUnit === 's') this.unit = 1;
    if (fmt.timestampUnit === 'ms') this.unit = 1000;
    const cap = Math.max(1024, capacity);
    this.user = new Int32Array(cap);
    this.item = new Int32Array(cap);
    this.rating = new Float32Array(cap);
    this.ts = new Float64Array(cap);
  }

  /** Current line (1-based): where a truncated stream stopped. */
  get currentLine(): number {
    return this.line;
  }

  /** Rows parsed so far (for progress and capacity estimates). */
  get rows(): number {
    return this.n;
  }

  /** Grows the output to hold at least `rows` rows. */
  reserve(rows: number): void {
    if (rows <= this.user.length) return;
    const grow = <A extends Int32Array | Float32Array | Float64Array>(
      a: A,
      make: (c: number) => A,
    ) => {
      const b = make(rows);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.user = grow(this.user, (c) => new Int32Array(c));
    this.item = grow(this.item, (c) => new Int32Array(c));
    this.rating = grow(this.rating, (c) => new Float32Array(c));
    this.ts = grow(this.ts, (c) => new Float64Array(c));
  }

  /**
   * Parses the complete records in `b[0..end)`. With `final`, the last record may lack a
   * line end. Returns the number of bytes consumed; the caller keeps the rest for the
   * next call.
   */
  feed(b: Uint8Array, end: number, final: boolean): number {
    const d = this.delim;
    const d0 = d[0]!;
    const dLen = d.length;
    const starts = this.starts;
    const ends = this.ends;
    const quoted = this.quoted;
    let p = 0;
    if (this.atStart) {
      if (end < 3 && !final) return 0;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) p = 3;
      this.atStart = false;
    }
    while (p < end) {
      if (this.fastOk) {
        const q = this.fastRecord(b, p, end);
        if (q >= 0) {
          p = q;
          continue;
        }
      }
      const recStart = p;
      let count = 0;
      let innerLines = 0;
      let complete = false;
      for (;;) {
        let fs = p;
        let fe: number;
        let q = 0;
        if (p < end && b[p] === QUOTE) {
          p++;
          fs = p;
          let closed = false;
          while (p < end) {
            const c = b[p]!;
            if (c === QUOTE) {
              if (p + 1 >= end && !final) break; // `"` or `""`? Need the next chunk.
              if (b[p + 1] === QUOTE) {
                p += 2;
                continue;
              }
              closed = true;
              break;
            }
            if (c === LF) innerLines++;
            p++;
          }
          if (!closed) {
            if (!final) return recStart;
            throw new DataValidationError({
              file: this.file,
              line: this.line,
              column: this.columnName(count),
              problem: 'a quoted field is never closed',
              expected: 'a closing quote (") for the field opened on this line',
            });
          }
          fe = p;
          p++;
          q = 1;
          // Anything between the closing quote and the delimiter is ignored (lenient).
          while (p < end) {
            const c = b[p]!;
            if (c === LF) break;
            if (c === d0 && (dLen === 1 || matchRest(b, p, d, dLen))) break;
            p++;
          }
        } else {
          if (dLen === 1) {
            while (p < end) {
              const c = b[p]!;
              if (c === d0 || c === LF) break;
              p++;
            }
          } else {
            while (p < end) {
              const c = b[p]!;
              if (c === d0 && p + dLen > end && !final) return recStart; // split delimiter
              if (c === LF || (c === d0 && matchRest(b, p, d, dLen))) break;
              p++;
            }
          }
          fe = p;
        }
        if (p >= end && !final) return recStart;
        const lineEnd = p >= end || b[p] === LF;
        if (lineEnd && !q && fe > fs && b[fe - 1] === CR) fe--;
        if (count < MAX_FIELDS) {
          starts[count] = fs;
          ends[count] = fe;
          quoted[count] = q;
          count++;
        }
        if (lineEnd) {
          p++;
          complete = true;
          break;
        }
        p += dLen;
      }
      if (!complete) return recStart;
      const line = this.line;
      this.line += 1 + innerLines;
      if (count === 1 && starts[0] === ends[0] && !quoted[0]) continue; // blank line
      this.record(b, count, line);
    }
    return end;
  }

  private record(b: Uint8Array, count: number, line: number): void {
    if (!this.resolved) {
      this.resolve(b, count, line);
      if (this.fmt.header) return;
    }
    this.dataRows++;
    const c = this.cols;
    if (count < c.width) {
      const missing = [c.user, c.item, c.rating, c.ts]
        .filter((x) => x >= count)
        .sort((x, y) => x - y)[0]!;
      return this.fail({
        line,
        column: this.columnName(missing),
        problem: `the row has ${count} field${count === 1 ? '' : 's'}, so this column is missing`,
        expected: `at least ${c.width} fields separated by ${delimiterName(this.fmt.delimiter)}`,
      });
    }
    // Validate every field before mapping IDs, so a skipped row adds no ID.
    let rating = NaN;
    if (c.rating >= 0) {
      rating = parseNumber(b, this.starts[c.rating]!, this.ends[c.rating]!, this.quoted[c.rating]!);
      if (!(rating >= this.rmin && rating <= this.rmax)) {
        const text = this.text(b, c.rating);
        return this.fail({
          line,
          column: this.columnName(c.rating),
          value: text,
          problem:
            rating !== rating
              ? `${quote(text)} is not a number`
              : !Number.isFinite(rating)
                ? `${quote(text)} is not finite`
                : `${quote(text)} is out of range`,
          expected:
            this.rmin === -Infinity
              ? 'a finite rating'
              : `a finite rating in [${this.rmin}, ${this.rmax}]`,
        });
      }
    }
    let ts = NaN;
    let date = NaN;
    if (c.ts >= 0) {
      ts = parseNumber(b, this.starts[c.ts]!, this.ends[c.ts]!, this.quoted[c.ts]!);
      // Not a number: an ISO 8601 date, in seconds already (no unit to settle).
      if (ts !== ts) date = isoDateSeconds(b, this.starts[c.ts]!, this.ends[c.ts]!);
      if (!(ts >= 0 && ts < Infinity) && !(date >= 0)) {
        const text = this.text(b, c.ts);
        return this.fail({
          line,
          column: this.columnName(c.ts),
          value: text,
          problem:
            ts !== ts && date !== date
              ? `${quote(text)} is neither a number nor an ISO 8601 date`
              : `${quote(text)} is not a valid time`,
          expected: TIMESTAMP_EXPECTED,
        });
      }
    }
    if (date >= 0) ts = date;
    else if (c.ts >= 0) {
      const ms = ts >= MS_THRESHOLD;
      if (this.unit === 0) {
        this.unit = ms ? 1000 : 1;
        this.unitLine = line;
      } else if (
        ms !== (this.unit === 1000) &&
        this.fmt.timestampUnit !== 's' &&
        this.fmt.timestampUnit !== 'ms'
      ) {
        const text = this.text(b, c.ts);
        const was = this.unit === 1000 ? 'milliseconds' : 'seconds';
        return this.fail({
          line,
          column: this.columnName(c.ts),
          value: text,
          problem: `${quote(text)} looks like ${ms ? 'milliseconds' : 'seconds'}, but line ${this.unitLine} set the unit to ${was}`,
          expected: `every timestamp in ${was}`,
        });
      }
      if (this.unit === 1000) ts /= 1000;
    }
    if (this.blank(b, c.user)) return this.emptyId(line, c.user, 'user');
    if (this.blank(b, c.item)) return this.emptyId(line, c.item, 'item');
    const u = this.id(b, c.user, this.users);
    const it = this.id(b, c.item, this.items);
    const k = this.n;
    if (k >= this.user.length) this.reserve(Math.ceil(this.user.length * 1.5) + 1024);
    this.user[k] = u;
    this.item[k] = it;
    this.rating[k] = rating;
    this.ts[k] = ts;
    this.n = k + 1;
  }

  private id(b: Uint8Array, col: number, map: IdMap): number {
    if (!this.quoted[col]) {
      const v = canonicalUint(b, this.starts[col]!, this.ends[col]!);
      if (v >= 0) return map.fromNumber(v);
    }
    return map.fromString(this.text(b, col).trim());
  }

  private blank(b: Uint8Array, col: number): boolean {
    for (let p = this.starts[col]!; p < this.ends[col]!; p++) {
      const c = b[p]!;
      if (c !== 0x20 && c !== 0x09) return false;
    }
    return true;
  }

  private emptyId(line: number, col: number, role: string): void {
    this.fail({
      line,
      column: this.columnName(col),
      value: '',
      problem: `the ${role} ID is empty`,
      expected: `a non-empty ${role} ID`,
    });
  }

  private text(b: Uint8Array, col: number): string {
    return fieldText(b, this.starts[col]!, this.ends[col]!, this.quoted[col]!);
  }

  private columnName(i: number): string {
    return this.names[i] ?? `#${i + 1}`;
  }

  private fail(loc: {
    line: number;
    column: string;
    value?: string;
    problem: string;
    expected: string;
  }): void {
    this.bad.report(new DataValidationError({ file: this.file, ...loc }));
  }

  /** Maps the configured columns to field positions, from the header or the first row. */
  private resolve(b: Uint8Array, count: number, line: number): void {
    const fmt = this.fmt;
    if (fmt.header) this.names = Array.from({ length: count }, (_, i) => this.text(b, i).trim());
    const lower = this.names.map((x) => x.toLowerCase());
    const find = (ref: ColumnRef | undefined, role: string): number => {
      if (ref === undefined) return -1;
      if (typeof ref === 'number') return ref;
      const i = lower.indexOf(ref.toLowerCase());
      if (i >= 0) return i;
      if ((fmt.optional as readonly string[] | undefined)?.includes(role) && count > 1) return -1;
      const guess = count === 1 ? guessDelimiter(this.names[0] ?? '') : undefined;
      if (guess && guess !== fmt.delimiter) {
        throw new DataValidationError({
          file: this.file,
          line,
          problem: `the header is one column ${quote(this.names[0] ?? '')}`,
          expected: `${delimiterName(fmt.delimiter)}-separated columns; the file looks ${delimiterName(guess)}-separated`,
        });
      }
      throw new DataValidationError({
        file: this.file,
        line,
        column: ref,
        problem: `no ${role} column ${quote(ref)} in the header (columns: ${this.names.map((x) => quote(x)).join(', ')})`,
        expected: `a header with a column named ${quote(ref)}`,
      });
    };
    const user = find(fmt.columns.user, 'user');
    const item = find(fmt.columns.item, 'item');
    const rating = find(fmt.columns.rating, 'rating');
    const ts = find(fmt.columns.timestamp, 'timestamp');
    const width = Math.max(user, item, rating, ts) + 1;
    if (!fmt.header && count === 1 && width > 1) {
      const first = this.text(b, 0);
      const guess = guessDelimiter(first);
      throw new DataValidationError({
        file: this.file,
        line,
        problem: `the first row has a single field ${quote(first)}`,
        expected:
          `${width} fields separated by ${delimiterName(fmt.delimiter)}` +
          (guess && guess !== fmt.delimiter
            ? `; the file looks ${delimiterName(guess)}-separated`
            : ''),
      });
    }
    this.cols = { user, item, rating, ts, width };
    this.roles = new Uint8Array(width);
    this.roles[user] = ROLE_USER;
    this.roles[item] = ROLE_ITEM;
    if (rating >= 0) this.roles[rating] = ROLE_RATING;
    if (ts >= 0) this.roles[ts] = ROLE_TS;
    this.fastOk =
      this.delim.length === 1 &&
      new Set([user, item, rating, ts].filter((x) => x >= 0)).size ===
        [user, item, rating, ts].filter((x) => x >= 0).length;
    this.resolved = true;
  }

  /**
   * The common case in one pass: an unquoted record of plain unsigned decimal numbers,
   * valid IDs, rating and timestamp. Returns the position after the record, or -1 to let
   * the general path handle it (quotes, strings, signs, exponents, errors, blank lines,
   * or a record cut by the chunk end) - which then re-reads the same bytes.
   */
  private fastRecord(b: Uint8Array, p: number, end: number): number {
    const d0 = this.delim[0]!;
    const roles = this.roles;
    const width = roles.length;
    let u = -1;
    let it = -1;
    let rating = NaN;
    let ts = NaN;
    let f = 0;
    for (;;) {
      const start = p;
      let v = 0;
      let scale = 1;
      let dot = false;
      let c = 0;
      while (p < end) {
        c = b[p]!;
        const digit = c - 0x30;
        if (digit >= 0 && digit <= 9) {
          v = v * 10 + digit;
          if (dot) scale *= 10;
        } else if (c === 0x2e && !dot) dot = true;
        else break;
        p++;
      }
      const len = p - start;
      // Up to 15 characters keeps every integer exact; "." and "4." go the general way.
      if (p >= end || len === 0 || len > 15 || (dot && scale === 1)) return -1;
      if (c === CR) {
        p++;
        if (p >= end || b[p] !== LF) return -1;
        c = LF;
      } else if (c !== d0 && c !== LF) return -1;
      if (f < width) {
        const role = roles[f]!;
        if (role === ROLE_USER || role === ROLE_ITEM) {
          // Canonical integers only: "007" and "7.0" are string IDs (general path).
          if (dot || (b[start] === 0x30 && len > 1)) return -1;
          if (role === ROLE_USER) u = v;
          else it = v;
        } else if (role === ROLE_RATING) {
          rating = v / scale;
        } else if (role === ROLE_TS) {
          ts = v / scale;
        }
      }
      p++;
      f++;
      if (c === LF) break;
    }
    if (f < width || u < 0 || it < 0) return -1;
    if (this.cols.rating >= 0 && !(rating >= this.rmin && rating <= this.rmax)) return -1;
    if (this.cols.ts >= 0) {
      const ms = ts >= MS_THRESHOLD;
      if (
        this.unit === 0 ||
        (ms !== (this.unit === 1000) &&
          this.fmt.timestampUnit !== 's' &&
          this.fmt.timestampUnit !== 'ms')
      )
        return -1;
      if (this.unit === 1000) ts /= 1000;
    }
    this.line++;
    this.dataRows++;
    const k = this.n;
    if (k >= this.user.length) this.reserve(Math.ceil(this.user.length * 1.5) + 1024);
    this.user[k] = this.users.fromNumber(u);
    this.item[k] = this.items.fromNumber(it);
    this.rating[k] = rating;
    this.ts[k] = ts;
    this.n = k + 1;
    return p;
  }

  /** Ends parsing: checks the file-level rules and returns exact-length columns. */
  finish(): ReadResult {
    if (!this.resolved) {
      throw new DataValidationError({
        file: this.file,
        problem: 'the file is empty',
        expected: this.fmt.header ? 'a header line and data rows' : 'data rows',
      });
    }
    if (this.dataRows === 0) {
      throw new DataValidationError({
        file: this.file,
        line: this.line,
        problem: 'there are no data rows after the header',
        expected: 'at least one data row',
      });
    }
    const badRows = this.bad.check(this.file, this.dataRows);
    if (this.n === 0) {
      throw new DataValidationError({
        file: this.file,
        problem: `all ${this.dataRows} rows are bad; first: ${badRows.samples[0]}`,
        expected: 'at least one valid row',
      });
    }
    const n = this.n;
    // Nearly full arrays (the usual case: they were sized from the file) are handed out as
    // views of length n, not copied (at 10M rows a copy is 200 MB and ~0.25 s); arrays
    // mostly unused are copied, so their spare capacity is not kept alive behind the table.
    const exact = <A extends Int32Array | Float32Array | Float64Array>(a: A): A =>
      (a.length === n ? a : a.length - n <= a.length / 4 ? a.subarray(0, n) : a.slice(0, n)) as A;
    return {
      table: {
        n,
        user: exact(this.user),
        item: exact(this.item),
        rating: exact(this.rating),
        ts: exact(this.ts),
      },
      users: this.users,
      items: this.items,
      dataRows: this.dataRows,
      badRows,
      timestampUnit: this.cols.ts < 0 ? 'none' : this.unit === 1000 ? 'ms' : 's',
    };
  }
}

function matchRest(b: Uint8Array, p: number, d: Uint8Array, dLen: number): boolean {
  for (let k = 1; k < dLen; k++) if (b[p + k] !== d[k]) return false;
  return true;
}
