import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { splitGlob } from '../../../lib/data/local-files.ts';
import { openSource } from '../../../lib/data/source-files.ts';
import { DataValidationError, ingestSource, parseSource } from '../../../lib/data/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const s3 = { forcePathStyle: true } as Parameters<typeof openSource>[1];

/** A log in three parts (one gzipped), plus files that are not parts. */
function partsFolder(): string {
  const dir = join(tempDir(), 'logs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'part-000.csv'), 'u,i,r,t\nalice,10,5,100\nbob,11,4,101\n');
  writeFileSync(
    join(dir, 'part-001.csv.gz'),
    gzipSync('u,i,r,t\ncarol,10,3,102\nalice,12,4,103\n'),
  );
  writeFileSync(join(dir, 'part-002.csv'), 'u,i,r,t\nbob,10,2,104\n');
  writeFileSync(join(dir, '_SUCCESS'), '');
  writeFileSync(join(dir, '.part-000.csv.crc'), 'x');
  writeFileSync(join(dir, 'readme.txt'), 'not a part');
  return dir;
}

async function ingest(source: string) {
  const spec = parseSource(source);
  if (spec.kind === 'synthetic') throw new Error('not a file source');
  const { files, fingerprint } = await openSource(spec.location, s3);
  return {
    r: await ingestSource(spec, files, { policy: 'fail', maxBadRowFraction: 0 }),
    fingerprint,
  };
}

describe('sources in parts: a folder, or a glob over its last segment', () => {
  it('reads every matching part in name order into one table with shared ID maps', async () => {
    const dir = partsFolder();
    const { r, fingerprint } = await ingest(
      `csv:${dir}/part-*.csv*?user=u&item=i&rating=r&timestamp=t`,
    );
    expect(r.format).toBe('delimited (3 parts)');
    expect(r.rowsRead).toBe(5);
    expect(r.users.ids()).toEqual(['alice', 'bob', 'carol']);
    expect(r.items.ids()).toEqual(['10', '11', '12']);
    // Rows in part order, IDs mapped into the shared maps.
    expect([...r.table.user]).toEqual([0, 1, 2, 0, 1]);
    expect([...r.table.item]).toEqual([0, 1, 0, 2, 0]);
    expect([...r.table.ts]).toEqual([100, 101, 102, 103, 104]);
    expect(fingerprint.split(',').map((p) => p.split(':')[0])).toEqual([
      'part-000.csv',
      'part-001.csv.gz',
      'part-002.csv',
    ]);
  });

  it('a glob selects only what it matches; a bad row names its part file', async () => {
    const dir = partsFolder();
    const { r } = await ingest(`csv:${dir}/part-00*.csv?user=u&item=i&rating=r&timestamp=t`);
    expect(r.rowsRead).toBe(3);
    writeFileSync(join(dir, 'part-003.csv'), 'u,i,r,t\ndave,13,NaN,105\n');
    await expect(
      ingest(`csv:${dir}/part-*.csv?user=u&item=i&rating=r&timestamp=t`),
    ).rejects.toThrow(`${join(dir, 'part-003.csv')}`);
  });

  it('rejects a glob that matches nothing, naming it', async () => {
    const dir = partsFolder();
    const err = await ingest(`csv:${dir}/day-*.csv?user=u&item=i`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataValidationError);
    expect((err as Error).message).toContain(`${dir}/day-*.csv`);
    expect((err as Error).message).toContain('at least one file matching it');
  });

  it('turns a glob into a folder and a pattern of its last segment only', () => {
    expect(splitGlob('s3://b/logs/2026-11-28/part-*.csv.gz')).toEqual({
      dir: 's3://b/logs/2026-11-28/',
      pattern: /^part-.*\.csv\.gz$/,
    });
    expect(splitGlob('/data/log.csv')).toEqual({ dir: '/data/log.csv' });
    const { pattern } = splitGlob('/x/a*(1)+.csv');
    expect(pattern!.test('abc(1)+.csv')).toBe(true);
    expect(pattern!.test('abc(1)).csv')).toBe(false);
  });
});
