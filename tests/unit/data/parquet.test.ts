import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IdMap,
  Rng,
  generateSynthetic,
  parquetBytes,
  readInteractionsParquet,
  readItemsParquet,
  readParquet,
  readUsersParquet,
  writeInteractionsParquet,
  writeItemsParquet,
  writeParquet,
  writeUsersParquet,
} from '../../../lib/data/index.ts';
import { DataValidationError } from '../../../lib/data/errors.ts';
import { readParquetInput } from '../../../lib/data/parquet-input.ts';
import { tempDir } from '../../helpers/tmp.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dir = tempDir('parquet-test-');

describe('Parquet write/read', () => {
  it('round-trips every encoding path exactly', async () => {
    const rng = new Rng(1);
    const n = 5000;
    const cols = {
      sorted: Int32Array.from({ length: n }, (_, k) => Math.floor(k / 37)), // RLE runs + literals
      dense: Int32Array.from({ length: n }, () => rng.int(3000)), // bit-packed identity dictionary
      zeros: new Int32Array(n), // bit width 0
      wide: Int32Array.from({ length: n }, () => rng.int(2 ** 31) - 2 ** 30), // negative: PLAIN
      stars: Float32Array.from({ length: n }, () => (rng.int(10) + 1) / 2), // value dictionary
      noisy: Float32Array.from({ length: n }, () => rng.normal()), // > 256 distinct: BYTE_STREAM_SPLIT
      ts: Float64Array.from({ length: n }, () => 1.6e9 + rng.int(1e7) + rng.next()),
      gaps: Float64Array.from({ length: n }, (_, k) => (k % 5 === 0 ? NaN : k % 3)),
      text: Array.from({ length: n }, (_, k) => (k % 7 === 0 ? '' : `título ${k} ✓`)),
    };
    const path = join(dir, 'all.parquet');
    const w = await writeParquet(path, cols, { rowGroupSize: 1234, metadata: { version: '1' } });
    expect(w.schema).toEqual({
      sorted: 'int32',
      dense: 'int32',
      zeros: 'int32',
      wide: 'int32',
      stars: 'float',
      noisy: 'float',
      ts: 'double',
      gaps: 'double',
      text: 'string',
    });
    const r = await readParquet(path);
    expect(r.rows).toBe(n);
    expect(r.metadata).toEqual({ version: '1' });
    for (const [name, data] of Object.entries(cols)) {
      const back = r.columns[name]!;
      expect(back.constructor, name).toBe(data.constructor);
      expect(Array.from(back as ArrayLike<unknown>), name).toEqual(
        Array.from(data as ArrayLike<unknown>),
      );
    }
  });

  it('writes equal bytes for equal data (content hashes work as cache keys)', async () => {
    const g = generateSynthetic({ users: 300, items: 200, interactions: 20_000, seed: 4 });
    const cols = { user: g.table.user, item: g.table.item, rating: g.table.rating, ts: g.table.ts };
    const a = await parquetBytes(cols);
    const b = await parquetBytes({ ...cols });
    expect(sha(a)).toBe(sha(b));
    await writeParquet(join(dir, 'd.parquet'), cols);
    expect(sha(readFileSync(join(dir, 'd.parquet')))).toBe(sha(a));
    const changed = Float32Array.from(g.table.rating);
    changed[5] = changed[5] === 5 ? 4 : 5;
    expect(sha(await parquetBytes({ ...cols, rating: changed }))).not.toBe(sha(a));
  });

  it('pipeline tables: interactions, users and items round-trip', async () => {
    const g = generateSynthetic({ users: 100, items: 60, interactions: 3000, seed: 2 });
    await writeInteractionsParquet(join(dir, 'i.parquet'), g.table);
    const t = await readInteractionsParquet(join(dir, 'i.parquet'));
    expect(t.n).toBe(3000);
    expect(Array.from(t.ts)).toEqual(Array.from(g.table.ts));
    const users = IdMap.of(['alice', 'bob', 7]);
    await writeUsersParquet(join(dir, 'u.parquet'), users);
    expect((await readUsersParquet(join(dir, 'u.parquet'))).ids()).toEqual(['alice', 'bob', '7']);
    await writeItemsParquet(join(dir, 'it.parquet'), g.items, g.meta);
    const it2 = await readItemsParquet(join(dir, 'it.parquet'));
    expect(it2.items.ids()).toEqual(g.items.ids());
    expect(it2.meta).toEqual(g.meta);
  });

  it('an empty table is a valid file with no row groups', async () => {
    await writeParquet(join(dir, 'e.parquet'), { user: new Int32Array(0), id: [] });
    const r = await readParquet(join(dir, 'e.parquet'));
    expect(r.rows).toBe(0);
    expect(r.schema).toEqual([
      { name: 'user', type: 'INT32' },
      { name: 'id', type: 'BYTE_ARRAY' },
    ]);
  });

  it('refuses columns of different lengths and names a missing column on read', async () => {
    await expect(
      writeParquet(join(dir, 'x.parquet'), { a: new Int32Array(2), b: new Int32Array(3) }),
    ).rejects.toThrow(/column "b" has 3 values, expected 2/);
    await writeParquet(join(dir, 'y.parquet'), { a: new Int32Array(2) });
    await expect(readParquet(join(dir, 'y.parquet'), { columns: ['nope'] })).rejects.toThrow(
      /no column "nope" \(columns: a\)/,
    );
    expect(existsSync(join(dir, 'x.parquet'))).toBe(false); // nothing half-written
  });

  const python = join(import.meta.dirname, '../../../.venv/bin/python');
  it.skipIf(!existsSync(python))(
    'pyarrow reads our files with the same values and types',
    async () => {
      const g = generateSynthetic({ users: 80, items: 50, interactions: 4000, seed: 9 });
      const p = join(dir, 'py.parquet');
      await writeParquet(
        p,
        {
          user: g.table.user,
          item: g.table.item,
          rating: g.table.rating,
          ts: g.table.ts,
          title: g.meta.title.concat(new Array(4000 - 50).fill('x')),
        },
        { rowGroupSize: 1500 },
      );
      const script = `
import json, sys, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1]); t = f.read()
print(json.dumps({"types": [str(x.type) for x in t.schema], "codec": f.metadata.row_group(0).column(0).compression,
  "groups": f.metadata.num_row_groups, "user": t.column("user").to_pylist(), "ts": t.column("ts").to_pylist(),
  "rating": t.column("rating").to_pylist(), "title": t.column("title").to_pylist()[:3]}))`;
      const out = JSON.parse(execFileSync(python, ['-c', script, p], { encoding: 'utf8' }));
      expect(out.types).toEqual(['int32', 'int32', 'float', 'double', 'string']);
      expect(out.codec).toBe('SNAPPY');
      expect(out.groups).toBe(3);
      expect(out.user).toEqual(Array.from(g.table.user));
      expect(out.ts).toEqual(Array.from(g.table.ts));
      expect(out.rating).toEqual(Array.from(g.table.rating));
      expect(out.title).toEqual(g.meta.title.slice(0, 3));
    },
  );
});

describe('readParquetInput', () => {
  it('names the file, and a missing column by name, in a DataValidationError', async () => {
    const path = join(dir, 'input-log.parquet');
    await writeParquet(path, { user: Int32Array.of(1, 2), item: Int32Array.of(3, 4) });
    expect((await readParquetInput(path, 'log.parquet', ['user'])).columns.user).toEqual(
      Int32Array.of(1, 2),
    );
    const missing = await readParquetInput(path, 'log.parquet', ['user', 'rating']).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(DataValidationError);
    expect(missing).toMatchObject({
      file: 'log.parquet',
      column: 'rating',
      expected: 'a Parquet column named "rating"',
    });
    expect((missing as Error).message).toContain('the file has no column "rating"');
    const garbage = await readParquetInput(
      new TextEncoder().encode('user,item\n1,2\n'),
      'x.csv',
    ).catch((e: unknown) => e);
    expect(garbage).toBeInstanceOf(DataValidationError);
    expect(garbage).toMatchObject({
      file: 'x.csv',
      expected: 'a readable Parquet file (snappy or uncompressed)',
    });
  });
});
