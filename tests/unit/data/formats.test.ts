import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionParser, ingestToTable, readDelimited } from '../../../lib/data/index.ts';
import type { DelimitedFormat, IngestResult } from '../../../lib/data/index.ts';

const FIX = join(import.meta.dirname, '../../fixtures/data');
const ok = (name: string) => join(FIX, 'ok', name);
const CSV: DelimitedFormat = {
  delimiter: ',',
  header: true,
  columns: { user: 'userId', item: 'movieId', rating: 'rating', timestamp: 'timestamp' },
};

/** Rows as [userId, itemId, rating, ts] with original IDs, for readable expectations. */
function rows(r: Pick<IngestResult, 'table' | 'idMaps'>): [string, string, number, number][] {
  const t = r.table;
  return Array.from({ length: t.n }, (_, k) => [
    r.idMaps.users.idOf(t.user[k]!),
    r.idMaps.items.idOf(t.item[k]!),
    t.rating[k]!,
    t.ts[k]!,
  ]);
}

describe('MovieLens layouts (golden fixtures)', () => {
  it('ml-latest: ratings.csv + movies.csv with quoted titles', async () => {
    const r = await ingestToTable(`movielens:${join(FIX, 'ml-latest')}`);
    expect(r.stats.format).toBe('ml-latest');
    expect(rows(r).slice(0, 3)).toEqual([
      ['1', '10', 4, 1600000000],
      ['1', '20', 3.5, 1600000100],
      ['2', '10', 5, 1600000200],
    ]);
    const i = r.idMaps.items.lookup('30');
    expect(r.meta.title[i]).toBe('Quote "Test" (2010)');
    expect(r.meta.year[i]).toBe(2010);
    expect(r.meta.title[r.idMaps.items.lookup('10')]).toBe('Harbor, The (1999)');
    expect(r.meta.genres[r.idMaps.items.lookup('10')]).toBe('Drama|Romance');
    expect(r.stats.timestampUnit).toBe('s');
  });

  it('ml-100k: tab-separated u.data, pipe-separated latin1 u.item with genre flags', async () => {
    const r = await ingestToTable(`movielens:${join(FIX, 'ml-100k')}`);
    expect(r.stats.format).toBe('ml-100k');
    expect(rows(r)).toEqual([
      ['1', '10', 4, 881250949],
      ['1', '20', 3, 881250950],
      ['2', '10', 5, 881250951],
    ]);
    const cafe = r.idMaps.items.lookup('20');
    expect(r.meta.title[cafe]).toBe('Café Noir (2004)');
    expect(r.meta.genres[cafe]).toBe('Action');
    expect(r.meta.genres[r.idMaps.items.lookup('10')]).toBe('Drama|Romance');
    expect(r.meta.year[cafe]).toBe(2004);
  });

  it('ml-1m: "::"-separated ratings.dat and movies.dat', async () => {
    const r = await ingestToTable(join(FIX, 'ml-1m')); // a bare folder is MovieLens
    expect(r.stats.format).toBe('ml-1m');
    expect(rows(r)[2]).toEqual(['2', '10', 5, 978300762]);
    expect(r.meta.title[r.idMaps.items.lookup('20')]).toBe('Café (2004)');
    expect(r.meta.genres[r.idMaps.items.lookup('10')]).toBe('Drama|Romance');
  });
});

describe('generic delimited files', () => {
  it('string IDs are mapped; "42" and 42 are one ID, "007" is not 7', async () => {
    const r = await ingestToTable(
      `csv:${ok('string-ids.csv')}?user=user&item=item&rating=rating&timestamp=timestamp`,
    );
    expect(r.idMaps.users.ids()).toEqual(['alice', 'bob', '42']);
    expect(r.idMaps.items.ids()).toEqual(['tt0111161', 'tt0068646', '007']);
    expect(Array.from(r.table.user)).toEqual([0, 1, 0, 2]);
    expect(r.idMaps.users.lookup(42)).toBe(2);
    expect(r.idMaps.items.lookup(7)).toBe(-1);
  });

  it('millisecond timestamps are detected and normalized to seconds', async () => {
    const r = await readDelimited(ok('millis.csv'), CSV);
    expect(r.timestampUnit).toBe('ms');
    expect(Array.from(r.table.ts)).toEqual([1600000000.123, 1600000100.5]);
  });

  it('BOM and CRLF line ends', async () => {
    const r = await readDelimited(ok('bom-crlf.csv'), CSV);
    expect(r.table.n).toBe(2);
    expect(r.users.ids()).toEqual(['1', '2']);
    expect(Array.from(r.table.ts)).toEqual([1600000000, 1600000100]);
  });

  it('quoted fields: embedded delimiter, escaped quotes, line break; lines stay physical', async () => {
    const r = await readDelimited(ok('quoted.csv'), CSV);
    expect(r.users.ids()).toEqual(['1', 'user, with comma', 'say "hi"', 'multi\nline']);
    expect(r.table.rating[0]).toBe(4.5);
    expect(r.table.n).toBe(4);
  });

  it('TSV without header by 1-based positions, extra columns ignored', async () => {
    const r = await ingestToTable(
      `tsv:${ok('log.tsv')}?header=false&user=1&item=2&rating=3&timestamp=4`,
    );
    expect(rows(r)).toEqual([
      ['u1', 'x', 3, 1600000000],
      ['u2', 'y', 5, 1600000100],
    ]);
  });

  it('custom delimiter and column mapping without timestamps', async () => {
    const r = await ingestToTable(
      `csv:${ok('semicolon-mapped.csv')}?delimiter=semicolon&user=customer&item=sku&rating=stars`,
    );
    expect(rows(r)).toEqual([
      ['c1', 'A1', 4, NaN],
      ['c2', 'B2', 5, NaN],
      ['c2', 'A1', 1, NaN],
    ]);
    expect(r.stats.hasTimestamps).toBe(false);
  });

  it('gzip by magic bytes, and an item-metadata file aligned to the items', async () => {
    const r = await ingestToTable(
      `csv:${ok('ratings.csv.gz')}?user=userId&item=movieId&rating=rating&timestamp=timestamp`,
      {
        items: ok('items.csv'),
      },
    );
    expect(r.table.n).toBe(5);
    const harbor = r.idMaps.items.lookup('10');
    expect([
      r.meta.title[harbor],
      r.meta.genres[harbor],
      r.meta.year[harbor],
      r.meta.text[harbor],
    ]).toEqual(['Harbor', 'Drama|Romance', 1999, 'A quiet harbor drama.']);
    expect(r.meta.title[r.idMaps.items.lookup('30')]).toBe(''); // not in items.csv
    expect(r.meta.title.length).toBe(r.idMaps.items.size); // item 99 (never rated) ignored
  });

  it('chunk boundaries do not change the result (fed 1..7 bytes at a time)', () => {
    const bytes = readFileSync(ok('quoted.csv'));
    const whole = new InteractionParser('q', CSV);
    whole.feed(bytes, bytes.length, true);
    const a = whole.finish();
    for (const step of [1, 2, 3, 7]) {
      const p = new InteractionParser('q', CSV);
      let buf = new Uint8Array(0);
      for (let at = 0; at < bytes.length; at += step) {
        const next = new Uint8Array(buf.length + Math.min(step, bytes.length - at));
        next.set(buf);
        next.set(bytes.subarray(at, at + step), buf.length);
        const final = at + step >= bytes.length;
        const used = p.feed(next, next.length, final);
        buf = next.slice(used);
      }
      const b = p.finish();
      expect(b.users.ids()).toEqual(a.users.ids());
      expect(Array.from(b.table.ts)).toEqual(Array.from(a.table.ts));
    }
  });
});

describe('fast and general parsing paths agree', () => {
  it('random numeric rows, with quoted, padded and odd rows mixed in', async () => {
    const rng = (s: number) => () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    const r = rng(9);
    const lines = ['userId,movieId,rating,timestamp'];
    const expected: [string, string, number, number][] = [];
    for (let k = 0; k < 3000; k++) {
      const u = String(Math.floor(r() * 5000));
      const i = r() < 0.05 ? `0${Math.floor(r() * 90)}` : String(Math.floor(r() * 100000));
      const rating = [0.5, 1, 2.5, 4, 5][Math.floor(r() * 5)]!;
      const ts =
        1_500_000_000 + Math.floor(r() * 1e8) + (r() < 0.2 ? Math.floor(r() * 1000) / 1000 : 0);
      const style = r();
      const rText =
        style < 0.05
          ? `"${rating}"`
          : style < 0.1
            ? ` ${rating} `
            : style < 0.15
              ? `${rating}e0`
              : String(rating);
      lines.push(`${u},${i},${rText},${ts}`);
      expected.push([u, i, rating, ts]);
    }
    const res = await readDelimited(new TextEncoder().encode(lines.join('\r\n')), CSV);
    const got = Array.from({ length: res.table.n }, (_, k) => [
      res.users.idOf(res.table.user[k]!),
      res.items.idOf(res.table.item[k]!),
      res.table.rating[k],
      res.table.ts[k],
    ]);
    expect(got).toEqual(expected);
  });
});

describe('Parquet sources', () => {
  it('reads a pyarrow-written file: int64 IDs (one beyond 2^53), string items, ms timestamps', async () => {
    const r = await ingestToTable(
      `parquet:${ok('foreign.parquet')}?user=user_id&item=sku&rating=stars&timestamp=ts_ms`,
    );
    expect(r.idMaps.users.ids()).toEqual(['1001', '1002', '9007199254740993']);
    expect(r.idMaps.items.ids()).toEqual(['A-1', 'B-2']);
    expect(Array.from(r.table.rating)).toEqual([4, 5, 2.5, 3]);
    expect(r.table.ts[0]).toBe(1600000000.123);
    expect(r.stats.timestampUnit).toBe('ms');
  });
});

describe('synthetic source', () => {
  it('ingests the built-in generator from its spec string', async () => {
    const r = await ingestToTable('synthetic:users=50,items=40,interactions=1000,seed=3');
    expect(r.stats).toMatchObject({
      format: 'synthetic',
      rows: 1000,
      users: 50,
      items: 40,
      hasRatings: true,
    });
    expect(r.meta.title.every((t) => t.length > 0)).toBe(true);
  });
});
