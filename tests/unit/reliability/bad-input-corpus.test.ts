import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { toFailure } from '../../../activities/stage-runner.ts';
import {
  DataValidationError,
  IdMap,
  MOVIELENS_LAYOUTS,
  readDelimited,
  readItemMeta,
  readParquetInteractions,
  writeParquet,
} from '../../../lib/data/index.ts';
import type { DelimitedFormat } from '../../../lib/data/index.ts';
import { badInputCorpus, parquetCases } from '../../helpers/bad-inputs.ts';
import type { BadInput } from '../../helpers/bad-inputs.ts';
import { tempDir } from '../../helpers/tmp.ts';

const FORMAT: DelimitedFormat = {
  delimiter: ',',
  header: true,
  columns: { user: 'userId', item: 'movieId', rating: 'rating', timestamp: 'timestamp' },
  ratingRange: [0.5, 5],
};
const ITEMS = MOVIELENS_LAYOUTS.find((l) => l.itemsFile === 'movies.csv')!.items;

async function parquetFile(rating: Float32Array): Promise<Uint8Array> {
  const n = rating.length;
  const path = join(tempDir(), 'p.parquet');
  await writeParquet(path, {
    user: Int32Array.from({ length: n }, (_, k) => k % 7),
    item: Int32Array.from({ length: n }, (_, k) => 100 + (k % 11)),
    rating,
    ts: Float64Array.from({ length: n }, (_, k) => 1.6e9 + k),
  });
  return new Uint8Array(await readFile(path));
}

type Outcome =
  | { kind: 'accepted'; skipped: number }
  | { kind: 'rejected'; error: DataValidationError }
  | { kind: 'crashed'; error: unknown };

async function ingest(c: BadInput, label: string): Promise<Outcome> {
  try {
    if (c.kind === 'items') {
      await readItemMeta(c.bytes, ITEMS, IdMap.of(['100', '101']), { label });
      return { kind: 'accepted', skipped: 0 };
    }
    const badRows =
      c.must === 'skip' || c.skipped
        ? { policy: 'skip' as const, maxBadRowFraction: 0.1 }
        : undefined;
    const r =
      c.kind === 'parquet'
        ? await readParquetInteractions(
            c.bytes,
            { user: 'user', item: 'item', rating: 'rating', timestamp: 'ts' },
            { label, ratingRange: [0.5, 5] },
          )
        : await readDelimited(c.bytes, FORMAT, { label, badRows });
    return { kind: 'accepted', skipped: r.badRows.count };
  } catch (error) {
    if (error instanceof DataValidationError) return { kind: 'rejected', error };
    return { kind: 'crashed', error };
  }
}

describe('bad-input corpus', () => {
  it('every malformed input ends in a precise non-retryable error or a counted skip, never a crash', async () => {
    const rating = Float32Array.from({ length: 50 }, (_, k) => 1 + (k % 5));
    const withNaN = rating.slice();
    withNaN[2] = NaN;
    const corpus = [
      ...badInputCorpus(),
      ...parquetCases(await parquetFile(rating), await parquetFile(withNaN)),
    ];
    const tally = { rejected: 0, skipped: 0, accepted: 0, crashed: 0 };
    const problems: string[] = [];
    for (const c of corpus) {
      const label = `${c.name}.${c.kind === 'parquet' ? 'parquet' : 'csv'}`;
      const o = await ingest(c, label);
      if (o.kind === 'crashed') {
        tally.crashed++;
        problems.push(`${c.name}: crashed with ${String(o.error)}`);
        continue;
      }
      if (o.kind === 'accepted') {
        tally[o.skipped ? 'skipped' : 'accepted']++;
        if (c.must === 'reject') problems.push(`${c.name}: accepted, expected a rejection`);
        if (c.must === 'skip' && o.skipped !== c.skipped)
          problems.push(`${c.name}: skipped ${o.skipped} rows, expected ${c.skipped}`);
        continue;
      }
      tally.rejected++;
      const e = o.error;
      if (c.must === 'skip') problems.push(`${c.name}: rejected (${e.message}), expected skips`);
      if (e.file !== label) problems.push(`${c.name}: error names ${e.file}, not ${label}`);
      if (!e.expected) problems.push(`${c.name}: error without an expectation`);
      if (c.line !== undefined && e.line !== c.line)
        problems.push(`${c.name}: line ${e.line}, expected ${c.line} (${e.message})`);
      if (c.column !== undefined && e.column !== c.column)
        problems.push(`${c.name}: column ${e.column}, expected ${c.column} (${e.message})`);
      // In an activity this is final: Temporal never retries it.
      const failure = toFailure(e) as ApplicationFailure;
      if (!(failure instanceof ApplicationFailure && failure.nonRetryable))
        problems.push(`${c.name}: would be retried`);
    }
    console.warn(`bad-input corpus: ${corpus.length} inputs ->`, JSON.stringify(tally));
    expect(problems).toEqual([]);
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(tally.crashed).toBe(0);
    expect(tally.skipped).toBe(10);
  });
});
