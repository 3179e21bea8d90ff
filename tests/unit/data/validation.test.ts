import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataValidationError,
  readDelimited,
  readParquetInteractions,
} from '../../../lib/data/index.ts';
import type { DelimitedFormat } from '../../../lib/data/index.ts';

const FIX = join(import.meta.dirname, '../../fixtures/data');
const bad = (name: string) => join(FIX, 'bad', name);
const ML_LATEST: DelimitedFormat = {
  delimiter: ',',
  header: true,
  columns: { user: 'userId', item: 'movieId', rating: 'rating', timestamp: 'timestamp' },
  ratingRange: [0.5, 5],
};
const ML_100K: DelimitedFormat = {
  delimiter: '\t',
  header: false,
  columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
};

/** Reads and returns the DataValidationError it must throw. */
async function failure(
  path: string,
  fmt: DelimitedFormat = ML_LATEST,
): Promise<DataValidationError> {
  try {
    await readDelimited(path, fmt, { label: path.split('/').pop() });
  } catch (err) {
    expect(err).toBeInstanceOf(DataValidationError);
    return err as DataValidationError;
  }
  throw new Error(`${path} was accepted`);
}

describe('validation errors name file, line, column, value and expectation', () => {
  it('non-number rating: the message format of the contract', async () => {
    const e = await failure(bad('rating-abc.csv'));
    expect(e.message).toBe(
      'rating-abc.csv line 4, column "rating": "abc" is not a number (expected a finite rating in [0.5, 5])',
    );
    expect([e.file, e.line, e.column, e.value]).toEqual(['rating-abc.csv', 4, 'rating', 'abc']);
  });

  it('empty file', async () => {
    const e = await failure(bad('empty.csv'));
    expect(e.message).toBe('empty.csv: the file is empty (expected a header line and data rows)');
    expect(e.line).toBeUndefined();
  });

  it('header only', async () => {
    const e = await failure(bad('header-only.csv'));
    expect(e.line).toBe(2);
    expect(e.message).toContain('no data rows after the header');
  });

  it('wrong delimiter in a header file', async () => {
    const e = await failure(bad('semicolon.csv'));
    expect(e.line).toBe(1);
    expect(e.message).toContain('the header is one column "userId;movieId;rating;timestamp"');
    expect(e.message).toContain('the file looks semicolon-separated');
  });

  it('wrong delimiter in a header-less file (commas where tabs are expected)', async () => {
    const e = await failure(bad('comma-not-tab.data'), ML_100K);
    expect(e.line).toBe(1);
    expect(e.message).toContain('single field "1,10,4,881250949"');
    expect(e.message).toContain('the file looks comma-separated');
  });

  it('missing column in the header', async () => {
    const e = await failure(bad('missing-column.csv'));
    expect([e.line, e.column]).toEqual([1, 'rating']);
    expect(e.message).toContain('no rating column "rating" in the header');
  });

  it('a row with too few fields', async () => {
    const e = await failure(bad('short-row.csv'));
    expect([e.line, e.column]).toEqual([3, 'rating']);
    expect(e.message).toContain('the row has 2 fields');
  });

  it('NaN rating', async () => {
    const e = await failure(bad('rating-nan.csv'));
    expect([e.line, e.column, e.value]).toEqual([2, 'rating', 'NaN']);
    expect(e.message).toContain('"NaN" is not a number');
  });

  it('infinite rating', async () => {
    const e = await failure(bad('rating-inf.csv'));
    expect([e.line, e.column, e.value]).toEqual([3, 'rating', 'inf']);
    expect(e.message).toContain('"inf" is not finite');
  });

  it('out-of-range rating', async () => {
    const e = await failure(bad('rating-range.csv'));
    expect([e.line, e.column, e.value]).toEqual([3, 'rating', '7.5']);
    expect(e.message).toContain('"7.5" is out of range (expected a finite rating in [0.5, 5])');
  });

  it('empty user ID', async () => {
    const e = await failure(bad('empty-user.csv'));
    expect([e.line, e.column]).toEqual([3, 'userId']);
    expect(e.message).toContain('the user ID is empty');
  });

  it('timestamp that is not a number', async () => {
    const e = await failure(bad('bad-timestamp.csv'));
    expect([e.line, e.column, e.value]).toEqual([2, 'timestamp', 'yesterday']);
  });

  it('milliseconds then seconds in one file', async () => {
    const e = await failure(bad('mixed-units.csv'));
    expect([e.line, e.column, e.value]).toEqual([3, 'timestamp', '1600000100']);
    expect(e.message).toContain('looks like seconds, but line 2 set the unit to milliseconds');
  });

  it('unterminated quote', async () => {
    const e = await failure(bad('unterminated-quote.csv'));
    expect([e.line, e.column]).toEqual([3, 'movieId']);
    expect(e.message).toContain('a quoted field is never closed');
  });

  it('truncated gzip names the line where decompression stopped', async () => {
    const e = await failure(bad('truncated.csv.gz'));
    expect(e.message).toContain('the gzip data is truncated or corrupt');
    expect(e.line).toBeGreaterThan(100); // rows before the cut were read
  });

  it('truncated gzip from bytes', async () => {
    await expect(
      readDelimited(readFileSync(bad('truncated.csv.gz')), ML_LATEST, { label: 'x.csv.gz' }),
    ).rejects.toThrow(/x\.csv\.gz: the gzip data is truncated/);
  });

  it('missing file', async () => {
    const e = await failure(bad('does-not-exist.csv'));
    expect(e.message).toContain('cannot be opened (ENOENT)');
  });

  it('null user ID in a Parquet file names the row', async () => {
    const err = await readParquetInteractions(
      bad('null-user.parquet'),
      { user: 'user_id', item: 'sku' },
      { label: 'p' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataValidationError);
    expect((err as Error).message).toBe(
      'p row 2, column "user_id": the user ID is empty or null (expected a non-empty user ID)',
    );
  });

  it('missing Parquet column', async () => {
    const err = await readParquetInteractions(
      bad('null-user.parquet'),
      { user: 'uid', item: 'sku' },
      { label: 'p' },
    ).catch((e: unknown) => e);
    expect((err as DataValidationError).column).toBe('uid');
  });
});

describe('bad-row policy', () => {
  it('fail (default) stops at the first bad row', async () => {
    const e = await failure(bad('two-bad-of-ten.csv'));
    expect(e.line).toBe(3);
  });

  it('skip drops, counts and samples bad rows within maxBadRowFraction', async () => {
    const r = await readDelimited(bad('two-bad-of-ten.csv'), ML_LATEST, {
      label: 't.csv',
      badRows: { policy: 'skip', maxBadRowFraction: 0.2 },
    });
    expect(r.table.n).toBe(8);
    expect(r.dataRows).toBe(10);
    expect(r.badRows.count).toBe(2);
    expect(r.badRows.samples).toEqual([
      't.csv line 3, column "rating": "x" is not a number (expected a finite rating in [0.5, 5])',
      't.csv line 5, column "rating": "9" is out of range (expected a finite rating in [0.5, 5])',
    ]);
    // Skipped rows add no IDs: user 1 and 2 still exist through their good rows only.
    expect(r.users.size).toBe(5);
  });

  it('skip fails when the bad share is above maxBadRowFraction', async () => {
    await expect(
      readDelimited(bad('two-bad-of-ten.csv'), ML_LATEST, {
        label: 't.csv',
        badRows: { policy: 'skip', maxBadRowFraction: 0.1 },
      }),
    ).rejects.toThrow('t.csv: 2 of 10 rows are bad (20.00%)');
  });
});
