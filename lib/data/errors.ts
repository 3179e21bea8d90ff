/**
 * Bad input data: names the file, line, column, the offending value and what was
 * expected. Never retryable - the same bytes fail the same way.
 */
export class DataValidationError extends Error {
  override readonly name = 'DataValidationError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: string | undefined,
    readonly value: string | undefined,
    readonly expected: string,
  ) {
    super(formatProblem(file, line, column, value, expected));
  }
}

export function formatProblem(
  file: string,
  line: number | undefined,
  column: string | undefined,
  value: string | undefined,
  expected: string,
): string {
  const where = [file, line !== undefined ? `line ${line}` : '', column ? `column "${column}"` : '']
    .filter(Boolean)
    .join(', ');
  const shown =
    value === undefined
      ? ''
      : ` ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  return `${where}:${shown} ${value === undefined ? '' : '- '}expected ${expected}`;
}

/** Collects bad rows under the `skip` policy, or throws the first one under `fail`. */
export class BadRowCollector {
  count = 0;
  readonly samples: string[] = [];

  constructor(
    readonly policy: 'fail' | 'skip',
    readonly maxFraction: number,
    readonly maxSamples = 20,
  ) {}

  report(err: DataValidationError): void {
    if (this.policy === 'fail') throw err;
    this.count++;
    if (this.samples.length < this.maxSamples) this.samples.push(err.message);
  }

  /** After reading: too many skipped rows is itself an error. */
  check(file: string, totalRows: number): void {
    if (this.count === 0) return;
    const frac = this.count / Math.max(1, totalRows);
    if (frac > this.maxFraction) {
      throw new DataValidationError(
        file,
        undefined,
        undefined,
        undefined,
        `at most ${(this.maxFraction * 100).toFixed(2)}% bad rows (maxBadRowFraction), ` +
          `found ${this.count} of ${totalRows} (${(frac * 100).toFixed(2)}%); first: ${this.samples[0]}`,
      );
    }
  }
}
