/**
 * Bad input data, precisely located. Never retryable: the same bytes fail the same way,
 * so the activity layer maps this to a non-retryable failure.
 */

/** Where and what: every field but `file` and `expected` is optional. */
export interface ProblemLocation {
  /** The file as the caller named it (path or label). */
  file: string;
  /** 1-based physical line (for Parquet: 1-based row, see `lineKind`). */
  line?: number;
  /** How `line` is shown: `line 17` (text files, default) or `row 17` (Parquet). */
  lineKind?: 'line' | 'row';
  /** Column name, or `#3` for the third column of a header-less file. */
  column?: string;
  /** The offending value as written in the file. */
  value?: string;
  /** What is wrong with the value, e.g. `"abc" is not a number`. */
  problem?: string;
  /** What was expected instead, e.g. `a finite rating`. */
  expected: string;
}

/**
 * A validation failure such as
 * `ratings.csv line 17, column "rating": "abc" is not a number (expected a finite rating)`.
 */
export class DataValidationError extends Error {
  override readonly name = 'DataValidationError';
  readonly file: string;
  readonly line: number | undefined;
  readonly column: string | undefined;
  readonly value: string | undefined;
  readonly expected: string;

  constructor(loc: ProblemLocation) {
    super(formatProblem(loc));
    this.file = loc.file;
    this.line = loc.line;
    this.column = loc.column;
    this.value = loc.value;
    this.expected = loc.expected;
  }

  /** Plain fields for manifests and Temporal failure details. */
  toJSON(): Record<string, unknown> {
    return {
      message: this.message,
      file: this.file,
      line: this.line,
      column: this.column,
      value: this.value,
      expected: this.expected,
    };
  }
}

/** Quotes a value for a message, shortened so one bad field cannot flood a log. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

export function formatProblem(loc: ProblemLocation): string {
  let where = loc.file;
  if (loc.line !== undefined) where += ` ${loc.lineKind ?? 'line'} ${loc.line}`;
  if (loc.column !== undefined)
    where += `${loc.line !== undefined ? ',' : ''} column "${loc.column}"`;
  const what =
    loc.problem ?? (loc.value !== undefined ? `${quote(loc.value)} is not valid` : 'invalid input');
  return `${where}: ${what} (expected ${loc.expected})`;
}

/** What to do with a malformed row. */
export interface BadRowPolicy {
  /** `fail` (default): the first bad row is an error. `skip`: drop and count bad rows. */
  policy: 'fail' | 'skip';
  /** With `skip`: the largest share of data rows that may be bad. @default 0.01 */
  maxBadRowFraction: number;
}

export const FAIL_ON_BAD_ROWS: BadRowPolicy = { policy: 'fail', maxBadRowFraction: 0 };

/** Bad rows seen under the `skip` policy: a count and the first few messages. */
export interface BadRowReport {
  count: number;
  samples: string[];
}

/** Throws the first bad row under `fail`; counts and samples them under `skip`. */
export class BadRowCollector {
  count = 0;
  readonly samples: string[] = [];

  constructor(
    readonly policy: BadRowPolicy,
    readonly maxSamples = 10,
  ) {}

  report(err: DataValidationError): void {
    if (this.policy.policy === 'fail') throw err;
    this.count++;
    if (this.samples.length < this.maxSamples) this.samples.push(err.message);
  }

  /** After reading: more bad rows than allowed is itself an error. */
  check(file: string, dataRows: number): BadRowReport {
    const frac = this.count / Math.max(1, dataRows);
    if (this.count > 0 && frac > this.policy.maxBadRowFraction) {
      throw new DataValidationError({
        file,
        problem:
          `${this.count} of ${dataRows} rows are bad (${(frac * 100).toFixed(2)}%); ` +
          `first: ${this.samples[0]}`,
        expected: `at most ${(this.policy.maxBadRowFraction * 100).toFixed(2)}% bad rows (maxBadRowFraction)`,
      });
    }
    return { count: this.count, samples: [...this.samples] };
  }
}
