import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DataValidationError,
  ingestSource,
  parseSource,
  readInteractions,
} from '../../../lib/data/index.ts';
import type { InteractionFormat, SourceFiles } from '../../../lib/data/index.ts';
import { ConfigError } from '../../../lib/config/errors.ts';

const fixtures = new URL('../../fixtures/data/', import.meta.url).pathname;
const csv: InteractionFormat = {
  delimiter: ',',
  header: true,
  columns: { user: 'user', item: 'item', rating: 'rating', timestamp: 'ts' },
  ratingRange: [0, 5],
};
const bytes = (s: string) => new TextEncoder().encode(s);

function dirFiles(dir: string): SourceFiles {
  return {
    list: async () => readdirSync(dir),
    read: async (name) => ({ bytes: readFileSync(join(dir, name)), label: join(dir, name) }),
  };
}

function validationError(fn: () => unknown): DataValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataValidationError);
    return err as DataValidationError;
  }
  throw new Error('expected a DataValidationError');
}

describe('MovieLens layouts', () => {
  it('reads ml-latest with quoted titles and genres', async () => {
    const r = await ingestSource(
      { kind: 'movielens', location: 'x' },
      dirFiles(join(fixtures, 'ml-latest')),
      { policy: 'fail', maxBadRowFraction: 0 },
    );
    expect(r.format).toBe('ml-latest');
    expect(r.table.n).toBe(5);
    expect(Array.from(r.table.rating)).toEqual([4, 3.5, 5, 1, 4.5]);
    expect(r.items.ids).toEqual(['10', '20', '30']);
    expect(r.meta.title).toEqual([
      'Harbor, The (1999)',
      'Engine Room (2004)',
      'Quote "Test" (2010)',
    ]);
    expect(r.meta.genres[0]).toBe('Drama|Romance');
  });

  it('reads ml-100k (tab, latin1 items with genre flags)', async () => {
    const r = await ingestSource(
      { kind: 'movielens', location: 'x' },
      dirFiles(join(fixtures, 'ml-100k')),
      { policy: 'fail', maxBadRowFraction: 0 },
    );
    expect(r.format).toBe('ml-100k');
    expect(r.table.n).toBe(3);
    expect(r.meta.title[1]).toBe('Café Noir (2004)');
    expect(r.meta.genres[0]).toBe('Drama|Romance'); // flags 8 and 14 of u.item
    expect(r.meta.genres[1]).toBe('Action');
  });

  it('reads ml-1m (:: separated)', async () => {
    const r = await ingestSource(
      { kind: 'movielens', location: 'x' },
      dirFiles(join(fixtures, 'ml-1m')),
      { policy: 'fail', maxBadRowFraction: 0 },
    );
    expect(r.format).toBe('ml-1m/10m');
    expect(Array.from(r.table.user)).toEqual([0, 1, 1]);
    expect(r.meta.title[1]).toBe('Café (2004)');
  });

  it('names the expected files when the folder is not MovieLens', async () => {
    const files: SourceFiles = {
      list: async () => ['notes.txt'],
      read: async () => ({ bytes: bytes(''), label: 'x' }),
    };
    await expect(
      ingestSource({ kind: 'movielens', location: '/data/x' }, files, {
        policy: 'fail',
        maxBadRowFraction: 0,
      }),
    ).rejects.toThrow(/ratings\.csv \(ml-latest\), u\.data \(ml-100k\) or ratings\.dat/);
  });
});

describe('validation: every bad input names file, line, column and expectation', () => {
  const read = (text: string | Uint8Array, fmt = csv) =>
    readInteractions(typeof text === 'string' ? bytes(text) : text, 'r.csv', fmt);

  it('empty file and header only', () => {
    expect(validationError(() => read('')).expected).toBe('a non-empty file');
    const e = validationError(() => read('user,item,rating,ts\n'));
    expect(e.message).toContain('header only');
  });

  it('wrong delimiter', () => {
    const e = validationError(() => read('user;item;rating;ts\n1;2;3;4\n'));
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/semicolon-separated, not comma-separated/);
  });

  it('missing columns in the header and in a row', () => {
    const e = validationError(() => read('user,item,ts\n1,2,3\n'));
    expect(e.column).toBe('rating');
    expect(e.message).toContain('found: "user", "item", "ts"');
    const short = validationError(() => read('user,item,rating,ts\n1,2,3,1600000000\n4,5\n'));
    expect([short.line, short.column]).toEqual([3, 'rating']);
    expect(short.expected).toContain('4 fields separated by comma, found 2');
  });

  it('NaN, infinite and out-of-range ratings', () => {
    for (const [v, expected] of [
      ['abc', 'a finite number'],
      ['NaN', 'a finite number'],
      ['inf', 'a finite number'],
      ['1e999', 'a finite number'],
      ['7', 'a rating in [0, 5]'],
      ['-1', 'a rating in [0, 5]'],
    ]) {
      const e = validationError(() =>
        read(`user,item,rating,ts\n1,2,4,1600000000\n1,3,${v},1600000000\n`),
      );
      expect([e.file, e.line, e.column, e.value, e.expected], v).toEqual([
        'r.csv',
        3,
        'rating',
        v,
        expected,
      ]);
    }
  });

  it('bad timestamps; milliseconds become seconds', () => {
    const e = validationError(() => read('user,item,rating,ts\n1,2,4,yesterday\n'));
    expect([e.line, e.column, e.value]).toEqual([2, 'ts', 'yesterday']);
    const r = read('user,item,rating,ts\n1,2,4,1600000000000\n1,3,4,1600000001\n');
    expect(Array.from(r.table.ts)).toEqual([1600000000, 1600000001]);
    expect(r.millisecondTimestamps).toBe(1);
  });

  it('string IDs are mapped; numeric IDs share one space', () => {
    const r = read('user,item,rating,ts\nalice,B-7,4,1\n42,B-7,3,2\nalice,0042,2,3\n');
    expect(r.users.ids).toEqual(['alice', '42']);
    expect(r.items.ids).toEqual(['B-7', '0042']);
    expect(Array.from(r.table.user)).toEqual([0, 1, 0]);
  });

  it('BOM, CRLF, quoted fields with delimiters, quotes and newlines', () => {
    const text = '\uFEFFuser,item,rating,ts\r\n"u,1",i1,4,1\r\n"u ""2""","i\n2",3.5,2\r\n';
    const r = read(text);
    expect(r.users.ids).toEqual(['u,1', 'u "2"']);
    expect(r.items.ids).toEqual(['i1', 'i\n2']);
    expect(Array.from(r.table.rating)).toEqual([4, 3.5]);
    const e = validationError(() => read('user,item,rating,ts\n"open,1,4,1\n'));
    expect(e.line).toBe(2);
    expect(e.expected).toContain('closing quote');
  });

  it('gzip input, and a truncated gzip file', () => {
    const gz = gzipSync(bytes('user,item,rating,ts\n1,2,4,1\n'));
    expect(read(gz).table.n).toBe(1);
    const e = validationError(() => read(gz.subarray(0, gz.length - 10)));
    expect(e.expected).toMatch(/complete gzip file/);
  });

  it('skip policy counts and samples bad rows, and enforces maxBadRowFraction', () => {
    const text = 'user,item,rating,ts\n1,2,4,1\n1,3,x,1\n2,2,5,1\n2,3,4,1\n';
    const r = readInteractions(bytes(text), 'r.csv', csv, {
      policy: 'skip',
      maxBadRowFraction: 0.5,
    });
    expect(r.table.n).toBe(3);
    expect(r.badRows.count).toBe(1);
    expect(r.badRows.samples[0]).toContain('line 3, column "rating"');
    expect(() =>
      readInteractions(bytes(text), 'r.csv', csv, { policy: 'skip', maxBadRowFraction: 0.1 }),
    ).toThrow(/at most 10.00% bad rows/);
  });
});

describe('source specs', () => {
  it('parses every kind', () => {
    expect(parseSource('synthetic:users=10,items=5,interactions=100,seed=3')).toMatchObject({
      kind: 'synthetic',
      users: 10,
      seed: 3,
    });
    expect(parseSource('movielens:s3://bucket/ml-latest-small/')).toEqual({
      kind: 'movielens',
      location: 's3://bucket/ml-latest-small/',
    });
    expect(parseSource('csv:/d/r.csv?user=u&item=i&rating=r')).toMatchObject({
      kind: 'delimited',
      delimiter: ',',
      header: true,
      columns: { user: 'u', item: 'i', rating: 'r' },
    });
    expect(parseSource('tsv:file:///d/r.tsv?user=1&item=2&header=false')).toMatchObject({
      location: '/d/r.tsv',
      delimiter: '\t',
      columns: { user: 0, item: 1 },
    });
    expect(parseSource('parquet:/d/x.parquet?user=a&item=b')).toMatchObject({ kind: 'parquet' });
  });

  it('names data.source and what was expected', () => {
    for (const bad of [
      'synthetic:users=-3',
      'synthetic:colour=red',
      'csv:/x.csv?user=u',
      'http://example.com/x.csv',
      'csv:?user=a&item=b',
    ]) {
      let err: unknown;
      try {
        parseSource(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues[0]!.field).toBe('data.source');
    }
  });
});
