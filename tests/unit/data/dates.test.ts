import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isoDateSeconds, isoDateSecondsOf } from '../../../lib/data/dates.ts';
import { DataValidationError, ingestToTable, writeParquet } from '../../../lib/data/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const at = (text: string) => isoDateSeconds(new TextEncoder().encode(text), 0, text.length);
const utc = (...p: [number, number, number, number?, number?, number?]) =>
  Date.UTC(p[0], p[1] - 1, p[2], p[3] ?? 0, p[4] ?? 0, p[5] ?? 0) / 1000;

describe('ISO 8601 dates', () => {
  it('reads dates and date-times, UTC unless an offset is given', () => {
    expect(at('2016-03-09')).toBe(utc(2016, 3, 9));
    expect(at('2016-03-09 00:44:42')).toBe(utc(2016, 3, 9, 0, 44, 42));
    expect(at('2009-05-04T23:08:57Z')).toBe(utc(2009, 5, 4, 23, 8, 57));
    expect(at('2009-05-04T23:08')).toBe(utc(2009, 5, 4, 23, 8));
    expect(at('2017-08-25T13:55:02-07:00')).toBe(utc(2017, 8, 25, 20, 55, 2));
    expect(at('2017-08-25T13:55:02+0130')).toBe(utc(2017, 8, 25, 12, 25, 2));
    expect(at('2017-08-25T13:55:02+01')).toBe(utc(2017, 8, 25, 12, 55, 2));
    expect(at('2017-08-25T13:55:02.25Z')).toBe(utc(2017, 8, 25, 13, 55, 2) + 0.25);
    expect(at(' 2016-02-29 ')).toBe(utc(2016, 2, 29));
    expect(isoDateSecondsOf('2016-03-09T00:44:42Z')).toBe(utc(2016, 3, 9, 0, 44, 42));
  });

  it('is NaN for what is not a date, or a day or time that does not exist', () => {
    for (const text of [
      '',
      'yesterday',
      '2016-3-9',
      '2016/03/09',
      '2015-02-29',
      '2016-04-31',
      '2016-13-01',
      '2016-03-09T24:00',
      '2016-03-09T12:60',
      '2016-03-09T12',
      '2016-03-09T12:00:00.',
      '2016-03-09 junk',
      '2016-03-09-07:00',
      '1600000000',
      'Fri Aug 25 13:55:02 -0700 2017',
    ])
      expect(at(text), text).toBeNaN();
  });
});

describe('a timestamp column of ISO 8601 dates', () => {
  const dir = tempDir('iso-dates-');

  it('is read from CSV (quoted or not) and Parquet text, in seconds', async () => {
    const csv = join(dir, 'reviews.csv');
    writeFileSync(
      csv,
      'user,item,stars,date\nu1,b1,5,2016-03-09 00:44:42\nu2,b1,4,"2016-03-10T00:00:00Z"\nu1,b2,3,2016-03-11\n',
    );
    const r = await ingestToTable(`csv:${csv}?user=user&item=item&rating=stars&timestamp=date`);
    expect(Array.from(r.table.ts)).toEqual([
      utc(2016, 3, 9, 0, 44, 42),
      utc(2016, 3, 10),
      utc(2016, 3, 11),
    ]);
    expect(r.stats.timestampUnit).toBe('s');
    const pq = join(dir, 'reviews.parquet');
    await writeParquet(pq, {
      user: ['u1', 'u2'],
      item: ['b1', 'b1'],
      when: ['2016-03-09T00:44:42Z', '1457570000'],
    });
    const p = await ingestToTable(`parquet:${pq}?user=user&item=item&timestamp=when`);
    expect(Array.from(p.table.ts)).toEqual([utc(2016, 3, 9, 0, 44, 42), 1457570000]);
  });

  it('names the row, column and value of a date that is not one', async () => {
    const csv = join(dir, 'bad-date.csv');
    writeFileSync(csv, 'user,item,date\nu1,b1,2016-03-09\nu2,b1,2016-02-30\n');
    const e = await ingestToTable(`csv:${csv}?user=user&item=item&timestamp=date`).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(DataValidationError);
    expect(e).toMatchObject({ line: 3, column: 'date', value: '2016-02-30' });
    expect((e as Error).message).toContain('is neither a number nor an ISO 8601 date');
    expect((e as Error).message).toContain('or an ISO 8601 date from 1970 on');
  });
});
