import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionParser, generateSynthetic, writeParquet } from '../../../lib/data/index.ts';
import { byteStreamSplit } from '../../../lib/data/parquet-writer.ts';
import { tempDir } from '../../helpers/tmp.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The encoding as the Parquet spec states it: byte b of value k goes to b * n + k. */
function referenceSplit(a: Float32Array | Float64Array): Uint8Array {
  const src = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const w = a.BYTES_PER_ELEMENT;
  const out = new Uint8Array(src.length);
  for (let b = 0; b < w; b++)
    for (let k = 0; k < a.length; k++) out[b * a.length + k] = src[k * w + b]!;
  return out;
}

describe('writer speed-ups keep the bytes', () => {
  it('byte-stream-splits by words exactly like the byte gather, for every length mod 4', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 1001, 1024]) {
      const d = Float64Array.from({ length: n }, (_, k) => 1.6e9 + k * 7919.5 - (k % 3));
      const f = Float32Array.from({ length: n }, (_, k) => Math.sin(k) * 1e3);
      expect(byteStreamSplit(d), `double n=${n}`).toEqual(referenceSplit(d));
      expect(byteStreamSplit(f), `float n=${n}`).toEqual(referenceSplit(f));
      // A view into a bigger buffer (row groups are subarrays).
      expect(byteStreamSplit(d.subarray(1)), `double view n=${n}`).toEqual(
        referenceSplit(d.subarray(1)),
      );
    }
  });

  it('writeParquet returns the sha256 of the file it wrote', async () => {
    const g = generateSynthetic({ users: 200, items: 100, interactions: 30_000, seed: 3 });
    const path = join(tempDir(), 'i.parquet');
    const w = await writeParquet(
      path,
      { user: g.table.user, item: g.table.item, rating: g.table.rating, ts: g.table.ts },
      { rowGroupSize: 4096 },
    );
    const bytes = readFileSync(path);
    expect(w.bytes).toBe(bytes.length);
    expect(w.sha256).toBe(sha(bytes));
  });
});

describe('parser output arrays', () => {
  const fmt = {
    delimiter: ',',
    header: true,
    columns: { user: 'u', item: 'i', rating: 'r', timestamp: 't' },
  };
  const csv = (rows: number) =>
    Buffer.from(
      'u,i,r,t\n' +
        Array.from(
          { length: rows },
          (_, k) => `${k % 50},${k % 30},${(k % 5) + 1},${100 + k}`,
        ).join('\n'),
    );

  it('are views when nearly full (no copy) and copies when mostly unused, equal either way', () => {
    const full = new InteractionParser('full', fmt, undefined, 1900);
    const b = csv(2000);
    full.feed(b, b.length, true);
    const a = full.finish().table;
    expect(a.n).toBe(2000);
    // 1900 rows of capacity grew to 1.5x + 1024 = 3874: 1874 spare is over a quarter, so copies.
    expect(a.user.buffer.byteLength).toBe(2000 * 4);

    const near = new InteractionParser('near', fmt, undefined, 2400);
    near.feed(b, b.length, true);
    const v = near.finish().table;
    expect(v.user.length).toBe(2000);
    expect(v.user.buffer.byteLength).toBe(2400 * 4); // a view: 400 spare of 2400
    for (const k of ['user', 'item', 'rating', 'ts'] as const)
      expect(Array.from(v[k]), k).toEqual(Array.from(a[k]));
  });
});
