/**
 * Interaction rows from values that arrive already typed (a Parquet column's, a JSON line's
 * fields): IDs as integers, big integers or strings; ratings as numbers or numeric text;
 * timestamps as numbers (the unit settled by the first, as for text files), TIMESTAMP
 * values or ISO 8601 text. Every check names the row, column and value; the output is the
 * same columnar ReadResult the delimited parser gives.
 */
import { isoDateSecondsOf } from './dates.ts';
import { BadRowCollector, DataValidationError, FAIL_ON_BAD_ROWS, quote } from './errors.ts';
import type { BadRowPolicy } from './errors.ts';
import { IdMap } from './id-map.ts';
import type { ReadResult } from './interaction-parser.ts';
import { TIMESTAMP_EXPECTED } from './interaction-parser.ts';

/** Which field or column holds what. */
export interface ValueColumns {
  user: string;
  item: string;
  rating?: string;
  timestamp?: string;
}

export interface ValueRowsOptions {
  badRows?: BadRowPolicy;
  ratingRange?: [number, number];
  /** How messages count rows: `row` (Parquet) or `line` (JSON lines). @default 'row' */
  lineKind?: 'row' | 'line';
}

export class ValueRows {
  readonly users = new IdMap();
  readonly items = new IdMap();
  private user: Int32Array;
  private item: Int32Array;
  private rating: Float32Array;
  private ts: Float64Array;
  private n = 0;
  private unit = 0;
  private readonly bad: BadRowCollector;
  private readonly rmin: number;
  private readonly rmax: number;

  constructor(
    private readonly label: string,
    private readonly cols: ValueColumns,
    private readonly opts: ValueRowsOptions = {},
    capacity = 1024,
  ) {
    this.bad = new BadRowCollector(opts.badRows ?? FAIL_ON_BAD_ROWS);
    [this.rmin, this.rmax] = opts.ratingRange ?? [-Infinity, Infinity];
    this.user = new Int32Array(Math.max(1, capacity));
    this.item = new Int32Array(this.user.length);
    this.rating = new Float32Array(this.user.length);
    this.ts = new Float64Array(this.user.length);
  }

  /** Rows kept so far. */
  get rows(): number {
    return this.n;
  }

  /** Reports row `row` (1-based) as bad: thrown, or counted under `badRows: skip`. */
  fail(row: number, column: string | undefined, value: unknown, problem: string, expected: string) {
    this.bad.report(
      new DataValidationError({
        file: this.label,
        line: row,
        lineKind: this.opts.lineKind ?? 'row',
        ...(column !== undefined ? { column } : {}),
        ...(value !== undefined ? { value: String(value) } : {}),
        problem,
        expected,
      }),
    );
  }

  /**
   * Adds row `row` (1-based) from its values, or reports why it cannot. An absent
   * (undefined) rating or timestamp is none (NaN): a source whose rows can lack a mapped
   * field (JSON lines) checks presence itself, where it can say which fields a row has.
   */
  add(row: number, u: unknown, i: unknown, r: unknown, t: unknown): void {
    const { cols } = this;
    let rating = NaN;
    if (cols.rating !== undefined && r !== undefined) {
      rating = toNumber(r);
      if (!(rating >= this.rmin && rating <= this.rmax))
        return this.fail(
          row,
          cols.rating,
          r,
          `${quote(String(r))} is not a valid rating`,
          this.rmin === -Infinity
            ? 'a finite rating'
            : `a finite rating in [${this.rmin}, ${this.rmax}]`,
        );
    }
    let seconds = NaN;
    if (cols.timestamp !== undefined && t !== undefined) {
      seconds = toSeconds(t);
      if (!(seconds >= 0 && seconds < Infinity))
        return this.fail(
          row,
          cols.timestamp,
          t,
          `${quote(String(t))} is not a valid time`,
          TIMESTAMP_EXPECTED,
        );
      // Dates (TIMESTAMP values, ISO 8601 text) are in seconds already.
      if (!isDate(t)) {
        const ms = seconds >= 1e11;
        if (this.unit === 0) this.unit = ms ? 1000 : 1;
        else if (ms !== (this.unit === 1000))
          return this.fail(
            row,
            cols.timestamp,
            t,
            `${quote(String(t))} is in a different unit than earlier rows`,
            `every timestamp in ${this.unit === 1000 ? 'milliseconds' : 'seconds'}`,
          );
        if (this.unit === 1000) seconds /= 1000;
      }
    }
    const ui = idOf(u, this.users);
    if (ui < 0)
      return this.fail(row, cols.user, u, 'the user ID is empty or null', 'a non-empty user ID');
    const ii = idOf(i, this.items);
    if (ii < 0)
      return this.fail(row, cols.item, i, 'the item ID is empty or null', 'a non-empty item ID');
    if (this.n === this.user.length) this.grow();
    const k = this.n++;
    this.user[k] = ui;
    this.item[k] = ii;
    this.rating[k] = rating;
    this.ts[k] = seconds;
  }

  /** The rows read, after the bad-row allowance is checked against `dataRows`. */
  finish(dataRows: number): ReadResult {
    const badRows = this.bad.check(this.label, dataRows);
    const m = this.n;
    return {
      table: {
        n: m,
        user: this.user.slice(0, m),
        item: this.item.slice(0, m),
        rating: this.rating.slice(0, m),
        ts: this.ts.slice(0, m),
      },
      users: this.users,
      items: this.items,
      dataRows,
      badRows,
      timestampUnit: this.cols.timestamp ? (this.unit === 1000 ? 'ms' : 's') : 'none',
    };
  }

  private grow(): void {
    const size = this.user.length * 2;
    const more = <T extends Int32Array | Float32Array | Float64Array>(a: T, b: T) => (b.set(a), b);
    this.user = more(this.user, new Int32Array(size));
    this.item = more(this.item, new Int32Array(size));
    this.rating = more(this.rating, new Float32Array(size));
    this.ts = more(this.ts, new Float64Array(size));
  }
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

/** A TIMESTAMP value, or text that is not a number (read as an ISO 8601 date). */
function isDate(v: unknown): boolean {
  return v instanceof Date || (typeof v === 'string' && Number.isNaN(toNumber(v)));
}

function toSeconds(v: unknown): number {
  if (v instanceof Date) return v.getTime() / 1000;
  return isDate(v) ? isoDateSecondsOf(v as string) : toNumber(v);
}

function idOf(v: unknown, map: IdMap): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return map.fromNumber(v);
    return Number.isFinite(v) ? map.fromString(String(v)) : -1;
  }
  if (typeof v === 'bigint')
    return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? map.fromNumber(Number(v))
      : map.fromString(String(v));
  if (typeof v === 'string') {
    const s = v.trim();
    return s === '' ? -1 : map.fromString(s);
  }
  return -1;
}
