import { describe, expect, it } from 'vitest';
import { IdMap, checkPreprocessed, preprocess } from '../../../lib/data/index.ts';
import type { PreprocessConfig } from '../../../lib/data/index.ts';
import { ConfigError } from '../../../lib/config/errors.ts';

/** A log of `rows` as [user, item, rating, time]. */
function input(rows: [number, number, number, number][]) {
  const n = rows.length;
  const nUsers = Math.max(...rows.map((r) => r[0])) + 1;
  const nItems = Math.max(...rows.map((r) => r[1])) + 1;
  return {
    table: {
      n,
      user: Int32Array.from(rows, (r) => r[0]),
      item: Int32Array.from(rows, (r) => r[1]),
      rating: Float32Array.from(rows, (r) => r[2]),
      ts: Float64Array.from(rows, (r) => r[3]),
    },
    users: IdMap.of(Array.from({ length: nUsers }, (_, u) => `u${u}`)),
    items: IdMap.of(Array.from({ length: nItems }, (_, i) => `i${i}`)),
  };
}

/** Every user rates every item, at times 0, 1, 2, ... */
function full(users: number, items: number, rating: (u: number, i: number) => number) {
  const rows: [number, number, number, number][] = [];
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items; i++) rows.push([u, i, rating(u, i), u * items + i]);
  return input(rows);
}

const cfg = (over: Partial<PreprocessConfig> = {}): PreprocessConfig => ({
  positiveThreshold: 4,
  kCore: 5,
  split: 'leave-last-out',
  ...over,
});

function problem(data: ReturnType<typeof input>, c: PreprocessConfig): ConfigError {
  try {
    checkPreprocessed(preprocess(data, c), c);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('checkPreprocessed', () => {
  it('passes a log that leaves rows in every split', () => {
    const c = cfg();
    expect(() =>
      checkPreprocessed(
        preprocess(
          full(8, 8, () => 5),
          c,
        ),
        c,
      ),
    ).not.toThrow();
  });

  it('names the threshold and the ratings there are when no row is a positive', () => {
    const err = problem(
      full(8, 8, (u, i) => (u + i) % 2),
      cfg(),
    );
    expect(err.issues[0]!.field).toBe('preprocess.positiveThreshold');
    expect(err.issues[0]!.value).toBe(4);
    expect(err.message).toContain("the 64 rows' ratings run from 0 to 1");
    expect(err.message).toContain('1 for 0/1 clicks');
  });

  it('names kCore when the data has no core of that size', () => {
    const err = problem(
      full(4, 4, () => 5),
      cfg({ kCore: 5 }),
    );
    expect(err.issues[0]!.field).toBe('preprocess.kCore');
    expect(err.message).toContain('the 16 positive (user, item) pairs');
    expect(err.message).toContain('0 turns the filter off');
  });

  it('says leave-last-out needs users with 3 rows when no user has them', () => {
    const err = problem(
      full(6, 2, () => 5),
      cfg({ kCore: 0 }),
    );
    expect(err.issues[0]!.field).toBe('preprocess.split');
    expect(err.message).toContain('no valid or test rows');
    expect(err.message).toContain('at least 3 rows');
  });

  it('names the ratios when a random split leaves a split empty', () => {
    const c = cfg({ kCore: 0, split: 'random', ratios: { train: 0.98, valid: 0.01, test: 0.01 } });
    const err = problem(
      full(2, 3, () => 5),
      c,
    );
    expect(err.issues[0]!.field).toBe('preprocess.ratios');
    expect(err.message).toMatch(/the random split of 6 rows gave no (valid|test)/);
  });

  it('is the error the activity layer never retries', () => {
    const err = problem(
      full(8, 8, () => 1),
      cfg(),
    );
    expect(err.name).toBe('ConfigError');
  });
});
