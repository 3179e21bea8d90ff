import { describe, expect, it } from 'vitest';
import { parseSource, withLocalPath } from '../../../lib/data/index.ts';

describe('data.source spec parser', () => {
  it('synthetic with defaults and overrides', () => {
    expect(parseSource('synthetic:users=10,items=5,interactions=100,seed=7')).toEqual({
      kind: 'synthetic',
      users: 10,
      items: 5,
      interactions: 100,
      seed: 7,
      clusters: 12,
    });
    expect(parseSource('synthetic')).toMatchObject({ kind: 'synthetic', users: 3000, seed: 42 });
    expect(parseSource('synthetic:interactions=10_000_000')).toMatchObject({
      interactions: 10_000_000,
    });
  });

  it('synthetic errors name the field and what was expected', () => {
    expect(() => parseSource('synthetic:users=abc')).toThrow(
      /data\.source: "synthetic:users=abc" - expected synthetic users to be an integer in \[2, 50000000\] \(got "abc"\)/,
    );
    expect(() => parseSource('synthetic:user=10')).toThrow(
      /synthetic keys among users, items, interactions, seed, clusters \(got "user"; did you mean users\?\)/,
    );
    expect(() => parseSource('synthetic:users')).toThrow(/key=value pairs/);
  });

  it('movielens, bare folders, file:// and s3:// locations', () => {
    expect(parseSource('movielens:/data/ml-1m')).toEqual({
      kind: 'movielens',
      location: '/data/ml-1m',
      remote: false,
    });
    expect(parseSource('/data/ml-latest-small')).toEqual({
      kind: 'movielens',
      location: '/data/ml-latest-small',
      remote: false,
    });
    expect(parseSource('file:///data/ml%2D100k')).toEqual({
      kind: 'movielens',
      location: '/data/ml-100k',
      remote: false,
    });
    expect(parseSource('s3://bucket/datasets/ml-100k/')).toEqual({
      kind: 'movielens',
      location: 's3://bucket/datasets/ml-100k/',
      remote: true,
    });
    expect(parseSource('/data/ml-latest/ratings.csv')).toMatchObject({ kind: 'movielens' });
    expect(withLocalPath(parseSource('s3://bucket/x/'), '/tmp/x')).toEqual({
      kind: 'movielens',
      location: '/tmp/x',
      remote: false,
    });
  });

  it('csv / tsv with column mapping and options', () => {
    expect(
      parseSource(
        'csv:/d/log.csv.gz?user=uid&item=sku&rating=stars&timestamp=ts&delimiter=semicolon&ratingMin=1&ratingMax=10',
      ),
    ).toEqual({
      kind: 'delimited',
      location: '/d/log.csv.gz',
      remote: false,
      format: {
        delimiter: ';',
        header: true,
        columns: { user: 'uid', item: 'sku', rating: 'stars', timestamp: 'ts' },
        timestampUnit: 'auto',
        ratingRange: [1, 10],
      },
    });
    expect(parseSource('tsv:s3://bkt/k.tsv?header=false&user=2&item=1')).toMatchObject({
      kind: 'delimited',
      remote: true,
      format: { delimiter: '\t', header: false, columns: { user: 1, item: 0 } },
    });
  });

  it('plain file paths are typed by extension with default column names', () => {
    expect(parseSource('/d/events.parquet')).toMatchObject({
      kind: 'parquet',
      columns: { user: 'user', item: 'item', rating: 'rating', timestamp: 'timestamp' },
    });
    expect(parseSource('/d/events.tsv')).toMatchObject({
      kind: 'delimited',
      format: { delimiter: '\t', optional: ['rating', 'timestamp'] },
    });
    expect(parseSource('parquet:/d/x.parquet?user=a&item=b')).toMatchObject({
      columns: { user: 'a', item: 'b', rating: undefined },
    });
  });

  it('table errors name the option', () => {
    expect(() => parseSource('csv:/x.csv?user=a')).toThrow(/both user= and item= columns/);
    expect(() => parseSource('csv:/x.csv?user=a&item=b&usr=c')).toThrow(
      /csv options among .* \(got "usr"; did you mean user\?\)/,
    );
    expect(() => parseSource('csv:/x.csv?header=false&user=a&item=2')).toThrow(
      /user= to be a 1-based column position when header=false \(got "a"\)/,
    );
    expect(() => parseSource('csv:/x.csv?user=a&item=b&timestampUnit=h')).toThrow(
      /timestampUnit=auto, s or ms/,
    );
    expect(() => parseSource('http://example.org/x.csv')).toThrow(/got scheme "http"/);
    expect(() => parseSource('s3://Bad_Bucket/x')).toThrow(/valid bucket name/);
    expect(() => parseSource('  ')).toThrow(/expected a source such as/);
  });
});
