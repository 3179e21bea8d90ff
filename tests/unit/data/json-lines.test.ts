import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataValidationError, ingestToTable, parseSource } from '../../../lib/data/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir('jsonl-');
const file = (name: string, lines: string[], gz = false) => {
  const path = join(dir, name);
  const text = lines.join('\n') + '\n';
  writeFileSync(path, gz ? gzipSync(text) : text);
  return path;
};
const failure = (source: string) =>
  ingestToTable(source).then(
    () => expect.unreachable('should have failed'),
    (e: unknown) => e as DataValidationError,
  );

describe('JSON-lines sources', () => {
  it('reads fields by name: string and numeric IDs, ratings, ms timestamps and ISO dates, gzip', async () => {
    const path = file(
      'reviews.jsonl.gz',
      [
        '{"user_id":"A1","parent_asin":"B01","rating":5.0,"timestamp":1588687728923,"text":"great"}',
        '',
        '{"user_id":"A2","parent_asin":"B02","rating":3,"timestamp":1588687800000}',
        '{"user_id":7,"parent_asin":"B01","rating":"4","timestamp":1588687900000,"extra":{"a":[1]}}',
      ],
      true,
    );
    const r = await ingestToTable(
      `jsonl:${path}?user=user_id&item=parent_asin&rating=rating&timestamp=timestamp`,
    );
    expect(r.idMaps.users.ids()).toEqual(['A1', 'A2', '7']);
    expect(r.idMaps.items.ids()).toEqual(['B01', 'B02']);
    expect(Array.from(r.table.rating)).toEqual([5, 3, 4]);
    expect(Array.from(r.table.ts)).toEqual([1588687728.923, 1588687800, 1588687900]);
    expect(r.stats).toMatchObject({ rows: 3, timestampUnit: 'ms' });
    const yelp = file('yelp.ndjson', [
      '{"user_id":"u1","business_id":"b1","stars":4,"date":"2016-03-09 00:44:42"}',
    ]);
    const y = await ingestToTable(
      `jsonl:${yelp}?user=user_id&item=business_id&rating=stars&timestamp=date`,
    );
    expect(y.table.ts[0]).toBe(Date.UTC(2016, 2, 9, 0, 44, 42) / 1000);
  });

  it('a bare .jsonl path reads the default field names, rating and timestamp optional', async () => {
    const path = file('clicks.jsonl', ['{"user":1,"item":2}', '{"user":1,"item":3,"rating":4}']);
    expect(parseSource(path)).toMatchObject({ kind: 'jsonl', optional: true });
    expect(() => parseSource(`jsonl:${path}?user=u&item=i&delimiter=;`)).toThrow(
      /jsonl options among user, item, rating, timestamp, ratingMin, ratingMax \(got "delimiter"/,
    );
    const r = await ingestToTable(path);
    expect(r.table.n).toBe(2);
    expect(Number.isNaN(r.table.rating[0])).toBe(true);
    expect(r.table.rating[1]).toBe(4);
  });

  it('names the line and field of a bad line', async () => {
    const src = (name: string, lines: string[]) =>
      `jsonl:${file(name, lines)}?user=u&item=i&rating=r`;
    const broken = await failure(src('broken.jsonl', ['{"u":1,"i":2,"r":5}', '{"u":1,"i":']));
    expect(broken).toBeInstanceOf(DataValidationError);
    expect(broken).toMatchObject({ line: 2, expected: 'one JSON object per line' });
    expect(broken.message).toContain('not valid JSON');
    const array = await failure(src('array.jsonl', ['[1,2,5]']));
    expect(array.message).toContain('not a JSON object');
    const missing = await failure(src('missing.jsonl', ['{"u":1,"i":2,"r":5}', '{"u":1,"r":5}']));
    expect(missing).toMatchObject({ line: 2, column: 'i' });
    expect(missing.message).toContain('no "i" field (the line has "u", "r")');
    const rating = await failure(src('rating.jsonl', ['{"u":1,"i":2,"r":"five"}']));
    expect(rating).toMatchObject({ line: 1, column: 'r', value: 'five' });
    const empty = await failure(src('empty.jsonl', ['', '  ']));
    expect(empty.message).toContain('the file has no JSON lines');
  });

  it('skips bad lines under badRows: skip and counts them', async () => {
    const path = file('some-bad.jsonl', ['{"u":1,"i":2}', 'oops', '{"u":2,"i":2}']);
    const r = await ingestToTable(`jsonl:${path}?user=u&item=i`, {
      badRows: { policy: 'skip', maxBadRowFraction: 0.5 },
    });
    expect(r.table.n).toBe(2);
    expect(r.badRows.count).toBe(1);
    expect(r.stats.dataRows).toBe(3);
  });
});
