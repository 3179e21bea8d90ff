import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSource } from '../../../lib/data/source-files.ts';
import { firstFileRead, parseSource } from '../../../lib/data/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const s3 = { forcePathStyle: true } as Parameters<typeof openSource>[1];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('local sources: hashed for the cache key and read once', () => {
  const dir = join(tempDir(), 'ml');
  mkdirSync(dir);
  const ratings = 'userId,movieId,rating,timestamp\n1,10,4,100\n2,11,5,101\n';
  writeFileSync(join(dir, 'ratings.csv'), ratings);
  writeFileSync(join(dir, 'movies.csv'), 'movieId,title,genres\n10,A (1999),Drama\n');
  writeFileSync(join(dir, 'tags.csv'), 'userId,movieId,tag,timestamp\n');

  it('fingerprints as before (name:sha256 of the bytes), whichever file is kept', async () => {
    const expected = ['movies.csv', 'ratings.csv', 'tags.csv']
      .map((n) => `${n}:${sha(readFileSync(join(dir, n)))}`)
      .join(',');
    const spec = parseSource(`movielens:${dir}`);
    const kept = await openSource(dir, s3, (names) => firstFileRead(spec, names));
    const none = await openSource(dir, s3);
    expect(kept.fingerprint).toBe(expected);
    expect(none.fingerprint).toBe(expected);
    const single = await openSource(join(dir, 'ratings.csv'), s3);
    expect(single.fingerprint).toBe(`ratings.csv:${sha(Buffer.from(ratings))}`);
  });

  it('hands the kept bytes over once, then reads the file again; other files are read', async () => {
    const spec = parseSource(`movielens:${dir}`);
    expect(firstFileRead(spec, ['movies.csv', 'ratings.csv', 'tags.csv'])).toBe('ratings.csv');
    expect(firstFileRead(parseSource(`csv:${dir}?user=a&item=b`), ['p1', 'p2'])).toBe('p1');
    const { files } = await openSource(dir, s3, (names) => firstFileRead(spec, names));
    for (let k = 0; k < 2; k++) {
      const r = await files.read('ratings.csv');
      expect(Buffer.from(r.data as Uint8Array).toString()).toBe(ratings);
      expect(r.label).toBe(join(dir, 'ratings.csv'));
    }
    const m = await files.read('movies.csv');
    expect(Buffer.from(m.data as Uint8Array).equals(readFileSync(join(dir, 'movies.csv')))).toBe(
      true,
    );
    const single = await openSource(join(dir, 'ratings.csv'), s3);
    for (let k = 0; k < 2; k++)
      expect(Buffer.from((await single.files.read('')).data as Uint8Array).toString()).toBe(
        ratings,
      );
  });
});
