import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSource } from '../../../lib/data/source-files.ts';
import {
  DataValidationError,
  allocInteractions,
  ingestSource,
  ingestToTable,
  parseItemsSource,
  parseSource,
  writeInteractionsParquet,
  writeParquet,
} from '../../../lib/data/index.ts';
import type { ItemsFile } from '../../../lib/data/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const s3 = { forcePathStyle: true } as Parameters<typeof openSource>[1];
const FAIL = { policy: 'fail', maxBadRowFraction: 0 } as const;
const ITEMS_CSV = join(import.meta.dirname, '../../fixtures/data/ok/items.csv');

/** What the ingest activity does with a local source: open (and hash) it, then read it. */
async function activityIngest(source: string, items?: string) {
  const spec = parseSource(source);
  if (spec.kind === 'synthetic') throw new Error('not a file source');
  const { files } = await openSource(spec.location, s3);
  let itemsFile: ItemsFile | undefined;
  if (items) {
    const { location, format } = parseItemsSource(items);
    itemsFile = { files: (await openSource(location, s3)).files, format, location };
  }
  return ingestSource(spec, files, FAIL, itemsFile);
}

/** A Parquet log with the ratings given (users 0.., item 10, timestamps 100..). */
async function parquetLog(ratings: number[]): Promise<string> {
  const t = allocInteractions(ratings.length);
  ratings.forEach((r, k) => {
    t.user[k] = k;
    t.item[k] = 10;
    t.rating[k] = r;
    t.ts[k] = 100 + k;
  });
  const path = join(tempDir(), 'log.parquet');
  await writeInteractionsParquet(path, t);
  return path;
}

describe('one reading path for the ingest activity and ingestToTable', () => {
  it('a Parquet source keeps its rating range in both (row and column named)', async () => {
    const path = await parquetLog([4, 5, 7]);
    const source = `parquet:${path}?user=user&item=item&rating=rating&ratingMin=1&ratingMax=5`;
    for (const read of [() => activityIngest(source), () => ingestToTable(source)]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataValidationError);
      expect((err as Error).message).toContain('row 3');
      expect((err as Error).message).toContain('a finite rating in [1, 5]');
    }
    // Without the range the same file is read whole.
    expect(
      (await activityIngest(`parquet:${path}?user=user&item=item&rating=rating`)).rowsRead,
    ).toBe(3);
  });

  it('data.items gives a CSV log its titles, genres and years in both', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'log.csv'), 'u,i,r\na,10,5\nb,20,4\nb,30,3\n');
    const source = `csv:${join(dir, 'log.csv')}?user=u&item=i&rating=r`;
    const viaActivity = await activityIngest(source, ITEMS_CSV);
    const viaTable = await ingestToTable(source, { items: ITEMS_CSV });
    for (const [items, meta] of [
      [viaActivity.items, viaActivity.meta],
      [viaTable.idMaps.items, viaTable.meta],
    ] as const) {
      const harbor = items.lookup('10');
      expect([meta.title[harbor], meta.genres[harbor], meta.year[harbor]]).toEqual([
        'Harbor',
        'Drama|Romance',
        1999,
      ]);
      expect(meta.title[items.lookup('30')]).toBe(''); // not in the items file
    }
    expect(viaTable.stats.itemsWithMetadata).toBe(2);
  });

  it('data.items may be a Parquet file, its columns by name, in both paths', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'log.csv'), 'u,i\na,10\nb,20\nb,30\n');
    const path = join(dir, 'catalog.parquet');
    await writeParquet(path, {
      sku: Int32Array.from([10, 20, 99]),
      name: ['Harbor (1999)', 'Engine', 'Unused'],
      category: ['Drama;Romance', 'Action', 'Comedy'],
      released: Int32Array.from([0, 2004, 2001]),
    });
    const source = `csv:${join(dir, 'log.csv')}?user=u&item=i`;
    const items = `parquet:${path}?id=sku&title=name&genres=category&year=released&genreSeparator=;`;
    const viaTable = await ingestToTable(source, { items });
    const viaActivity = await activityIngest(source, items);
    for (const [ids, meta] of [
      [viaTable.idMaps.items, viaTable.meta],
      [viaActivity.items, viaActivity.meta],
    ] as const) {
      const harbor = ids.lookup('10');
      // Year 0 in the file is unknown: the title's "(1999)" gives it, as for MovieLens.
      expect([meta.title[harbor], meta.genres[harbor], meta.year[harbor]]).toEqual([
        'Harbor (1999)',
        'Drama|Romance',
        1999,
      ]);
      expect(meta.year[ids.lookup('20')]).toBe(2004);
      expect(meta.title[ids.lookup('30')]).toBe('');
    }
    expect(viaTable.stats.itemsWithMetadata).toBe(2);
    // A column that is not there is named, with the ones that are.
    const err = await ingestToTable(source, { items: `${path}?id=item` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataValidationError);
    expect((err as Error).message).toContain(
      'no column "item" (columns: "sku", "name", "category", "released")',
    );
  });

  it('data.items without a header names its columns by 1-based position', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'log.csv'), 'u,i\na,10\nb,20\n');
    writeFileSync(
      join(dir, 'items.tsv'),
      '10\tHarbor\t1999\tDrama|Romance\n20\tEngine\t2004\tAction\n',
    );
    const r = await ingestToTable(`csv:${join(dir, 'log.csv')}?user=u&item=i`, {
      items: `tsv:${join(dir, 'items.tsv')}?header=false&id=1&title=2&year=3&genres=4`,
    });
    const harbor = r.idMaps.items.lookup('10');
    expect([r.meta.title[harbor], r.meta.year[harbor], r.meta.genres[harbor]]).toEqual([
      'Harbor',
      1999,
      'Drama|Romance',
    ]);
    expect(r.stats.itemsWithMetadata).toBe(2);
  });

  it("data.items replaces a MovieLens folder's movies file", async () => {
    const dir = join(tempDir(), 'ml');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,10,4,100\n');
    writeFileSync(join(dir, 'movies.csv'), 'movieId,title,genres\n10,From Folder,Comedy\n');
    const r = await activityIngest(`movielens:${dir}`, ITEMS_CSV);
    expect(r.meta.title[r.items.lookup('10')]).toBe('Harbor');
  });

  it('data.items naming a folder of several files is refused, naming them', async () => {
    const dir = join(tempDir(), 'meta');
    mkdirSync(dir);
    copyFileSync(ITEMS_CSV, join(dir, 'a.csv'));
    copyFileSync(ITEMS_CSV, join(dir, 'b.csv'));
    const log = join(tempDir(), 'log.csv');
    writeFileSync(log, 'u,i\na,10\n');
    const err = await activityIngest(`csv:${log}?user=u&item=i`, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataValidationError);
    expect((err as Error).message).toContain('data.items names 2 files (a.csv, b.csv)');
  });

  it('an empty folder is refused in both, naming it', async () => {
    const dir = join(tempDir(), 'empty');
    mkdirSync(dir);
    writeFileSync(join(dir, '_SUCCESS'), '');
    for (const source of [`movielens:${dir}`, `csv:${dir}?user=u&item=i`])
      for (const read of [() => activityIngest(source), () => ingestToTable(source)]) {
        const err = await read().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DataValidationError);
        expect((err as Error).message).toContain(`${dir}: the folder holds no files`);
      }
  });

  it('movielens: naming one file says to name its folder', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'u.data'), '1\t10\t4\t100\n');
    for (const read of [
      () => activityIngest(`movielens:${join(dir, 'u.data')}`),
      () => ingestToTable(`movielens:${join(dir, 'u.data')}`),
    ]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataValidationError);
      expect((err as Error).message).toContain('this is one file, not a MovieLens folder');
    }
  });

  it('data.items whose ids match no item of the log is refused, showing both kinds of id', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'log.csv'), 'u,i\na,242\nb,302\n');
    writeFileSync(join(dir, 'items.csv'), 'item,title\ntt01,One\ntt02,Two\n');
    const err = await ingestToTable(`csv:${join(dir, 'log.csv')}?user=u&item=i`, {
      items: join(dir, 'items.csv'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataValidationError);
    const msg = (err as Error).message;
    expect(msg).toContain(join(dir, 'items.csv'));
    expect(msg).toContain('none of its 2 item ids are items of the interaction log');
    expect(msg).toContain('"tt01", "tt02"');
    expect(msg).toContain('"242", "302"');
  });

  it('data.items matching under 1% of its ids is refused too (a title that is a number)', async () => {
    const dir = tempDir();
    const ids = Array.from({ length: 150 }, (_, k) => `${k + 100}`);
    writeFileSync(join(dir, 'log.csv'), `u,i\n${ids.map((i) => `a,${i}`).join('\n')}\n`);
    // Keyed by the title by mistake: one title, "187", is also an item id of the log.
    const titles = ['187', ...ids.slice(1).map((i) => `Movie ${i}`)];
    writeFileSync(
      join(dir, 'items.csv'),
      `item,name\n${ids.map((i, k) => `${i},${titles[k]}`).join('\n')}\n`,
    );
    const source = `csv:${join(dir, 'log.csv')}?user=u&item=i`;
    const err = await ingestToTable(source, {
      items: `csv:${join(dir, 'items.csv')}?id=name`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataValidationError);
    expect((err as Error).message).toContain(
      'only 1 of its 150 item ids is an item of the interaction log',
    );
    // The right id column covers every item, and counts items whose only metadata is a name.
    const ok = await ingestToTable(source, {
      items: `csv:${join(dir, 'items.csv')}?id=item&title=name`,
    });
    expect(ok.stats.itemsWithMetadata).toBe(150);
  });
});
