/**
 * What the item-metadata readers (delimited, Parquet) share: the year rule and the check
 * that the file is for this log's catalog.
 */
import { DataValidationError, quote } from './errors.ts';
import type { IdMap } from './id-map.ts';
import type { ColumnRef } from './interaction-parser.ts';

/**
 * Least share of an item-metadata file's rows (or of the log's items, when fewer) whose id
 * must be an item of the log: below it the file is for another catalog or keyed by the
 * wrong column.
 */
const MIN_ITEM_MATCH = 0.01;

const TITLE_YEAR = /\((\d{4})\)\s*$/;

/**
 * A plausible year from a year field, else from a trailing `(1995)` in the title
 * (MovieLens); 0 = unknown.
 */
export function yearOf(field: number, title: string): number {
  const plausible = (y: number) => Number.isInteger(y) && y > 0 && y < 10000;
  if (plausible(field)) return field;
  const fromTitle = Number(TITLE_YEAR.exec(title)?.[1]);
  return plausible(fromTitle) ? fromTitle : 0;
}

/** Counts a metadata file's ids against the log's items, keeping a few that are not. */
export class ItemCoverage {
  rows = 0;
  matched = 0;
  readonly unmatched: string[] = [];

  /** The item index of `id`, or -1 (counted) when the log has no such item. */
  lookup(items: IdMap, id: string): number {
    this.rows++;
    const i = items.lookup(id);
    if (i >= 0) this.matched++;
    else if (this.unmatched.length < 3) this.unmatched.push(id);
    return i;
  }

  /**
   * Throws when too few ids are items of the log: metadata for another catalog (or keyed by
   * the wrong column) would leave (almost) every item blank, and a stray id such as a title
   * that happens to be a number must not hide that.
   */
  check(items: IdMap, label: string, idColumn: string | undefined): void {
    const { rows, matched } = this;
    if (items.size === 0 || matched >= MIN_ITEM_MATCH * Math.min(rows, items.size)) return;
    const logIds = [0, 1, 2].filter((k) => k < items.size).map((k) => quote(items.idOf(k)));
    throw new DataValidationError({
      file: label,
      column: idColumn,
      problem: `${matched === 0 ? 'none' : `only ${matched}`} of its ${rows} item ids ${matched === 1 ? 'is an item' : 'are items'} of the interaction log (its ids: ${this.unmatched.map((x) => quote(x)).join(', ')}; the log's: ${logIds.join(', ')})`,
      expected: "an id column holding the log's item ids (data.items option id=<column>)",
    });
  }
}

/** How to read an item metadata file. */
export interface ItemFormat {
  delimiter: string;
  header: boolean;
  encoding?: 'utf-8' | 'latin1';
  columns: {
    id: ColumnRef;
    title?: ColumnRef;
    genres?: ColumnRef;
    year?: ColumnRef;
    text?: ColumnRef;
  };
  /** Separator of several genres in one field. @default | */
  genreSeparator?: string;
  /** ml-100k's u.item: 0/1 genre flags from column `first` on, named by `names`. */
  genreFlags?: { first: number; names: string[] };
  /** ml-100k: a release-date column like `01-Jan-1995` to take the year from. */
  dateColumn?: number;
  /** Named columns other than `id` may be missing from the header. */
  optionalColumns?: boolean;
  /** A Parquet file, its columns by name (the delimited settings do not apply). */
  parquet?: boolean;
}
