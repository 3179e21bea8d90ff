import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Rng,
  generateSynthetic,
  gini,
  preprocess,
  readInteractionsParquet,
  splitStats,
  writeInteractions,
} from '../../../lib/data/index.ts';
import type { Interactions, PreprocessConfig } from '../../../lib/data/index.ts';
import { sha256File } from '../../../lib/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const cfg: PreprocessConfig = {
  positiveThreshold: 4,
  kCore: 3,
  split: 'leave-last-out',
  ratios: { train: 0.8, valid: 0.1, test: 0.1 },
  seed: 1,
};

function randomTable(rng: Rng, n: number, users: number, items: number): Interactions {
  const t: Interactions = {
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    rating: new Float32Array(n),
    ts: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    t.user[k] = rng.int(users);
    t.item[k] = rng.int(items);
    t.rating[k] = 1 + rng.int(5);
    t.ts[k] = rng.int(50); // many ties on purpose
  }
  return t;
}

/** Brute force with plain objects: the obviously-correct reference. */
function reference(t: Interactions, k: number, threshold: number) {
  const latest = new Map<string, { u: number; i: number; ts: number; row: number }>();
  for (let r = 0; r < t.n; r++) {
    if (t.rating[r]! < threshold) continue;
    const key = `${t.user[r]},${t.item[r]}`;
    const prev = latest.get(key);
    if (!prev || t.ts[r]! >= prev.ts)
      latest.set(key, { u: t.user[r]!, i: t.item[r]!, ts: t.ts[r]!, row: r });
  }
  let rows = [...latest.values()];
  for (;;) {
    const ud = new Map<number, number>();
    const id = new Map<number, number>();
    for (const x of rows) {
      ud.set(x.u, (ud.get(x.u) ?? 0) + 1);
      id.set(x.i, (id.get(x.i) ?? 0) + 1);
    }
    const next = rows.filter((x) => ud.get(x.u)! >= k && id.get(x.i)! >= k);
    if (next.length === rows.length) break;
    rows = next;
  }
  const byUser = new Map<number, typeof rows>();
  for (const x of rows) byUser.set(x.u, [...(byUser.get(x.u) ?? []), x]);
  const test = new Set<string>();
  const valid = new Set<string>();
  for (const list of byUser.values()) {
    if (list.length < 3) continue;
    list.sort((a, b) => b.ts - a.ts || b.i - a.i);
    test.add(`${list[0]!.u},${list[0]!.i}`);
    valid.add(`${list[1]!.u},${list[1]!.i}`);
  }
  return { rows, test, valid };
}

describe('preprocess against a brute-force reference', () => {
  it('dedupes, k-cores and splits exactly like the reference on random inputs', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 25; trial++) {
      const t = randomTable(rng, 400 + rng.int(600), 20 + rng.int(30), 15 + rng.int(30));
      const k = 1 + rng.int(4);
      const s = preprocess(t, 60, 60, { ...cfg, kCore: k });
      const ref = reference(t, k, 4);
      const back = (part: Interactions) =>
        Array.from(
          { length: part.n },
          (_, j) => `${s.userOrigin[part.user[j]!]},${s.itemOrigin[part.item[j]!]}`,
        );
      const all = [...back(s.train), ...back(s.valid), ...back(s.test)];
      expect(new Set(all).size, `trial ${trial}: no duplicate (user, item)`).toBe(all.length);
      expect(all.length, `trial ${trial}`).toBe(ref.rows.length);
      expect(new Set(back(s.test))).toEqual(ref.test);
      expect(new Set(back(s.valid))).toEqual(ref.valid);
      // Kept rows carry the latest timestamp of their (user, item).
      for (let j = 0; j < s.test.n; j++) {
        const key = `${s.userOrigin[s.test.user[j]!]},${s.itemOrigin[s.test.item[j]!]}`;
        expect(ref.rows.find((x) => `${x.u},${x.i}` === key)!.ts).toBe(s.test.ts[j]);
      }
    }
  });

  it('random split follows the ratios and the seed', () => {
    const g = generateSynthetic({ users: 300, items: 100, interactions: 20000, seed: 2 });
    const a = preprocess(g.table, 300, 100, { ...cfg, split: 'random', kCore: 0 });
    const b = preprocess(g.table, 300, 100, { ...cfg, split: 'random', kCore: 0 });
    const total = a.train.n + a.valid.n + a.test.n;
    expect(a.test.n / total).toBeGreaterThan(0.08);
    expect(a.test.n / total).toBeLessThan(0.12);
    expect(Array.from(a.test.item)).toEqual(Array.from(b.test.item));
  });
});

describe('synthetic generator', () => {
  it('is deterministic per seed and looks like a real log', () => {
    const a = generateSynthetic({ users: 2000, items: 1000, interactions: 100000, seed: 9 });
    const b = generateSynthetic({ users: 2000, items: 1000, interactions: 100000, seed: 9 });
    const c = generateSynthetic({ users: 2000, items: 1000, interactions: 100000, seed: 10 });
    expect(Array.from(a.table.item.subarray(0, 1000))).toEqual(
      Array.from(b.table.item.subarray(0, 1000)),
    );
    expect(Array.from(a.table.item.subarray(0, 1000))).not.toEqual(
      Array.from(c.table.item.subarray(0, 1000)),
    );
    // Power-law popularity: a skewed item distribution.
    const pop = new Float64Array(1000);
    for (let k = 0; k < a.table.n; k++) pop[a.table.item[k]!]!++;
    expect(gini(pop)).toBeGreaterThan(0.4);
    // Taste structure: positives concentrate in a user's favourite genre far beyond chance.
    const genreOf = (i: number) => a.meta.genres[i]!.split('|')[0];
    const userRows = new Map<number, number[]>();
    for (let k = 0; k < a.table.n; k++) {
      if (a.table.rating[k]! < 4) continue;
      const list = userRows.get(a.table.user[k]!) ?? [];
      list.push(a.table.item[k]!);
      userRows.set(a.table.user[k]!, list);
    }
    let agree = 0;
    let total = 0;
    for (const list of userRows.values()) {
      for (let x = 1; x < list.length; x++) {
        total++;
        if (genreOf(list[x]!) === genreOf(list[x - 1]!)) agree++;
      }
    }
    // 12 genres: chance agreement is about 1/12.
    expect(agree / total).toBeGreaterThan(0.3);
    expect(a.meta.title[0]).toMatch(/^The \w+ \w+ 1 \(\d{4}\)$/);
  });
});

describe('Parquet round trip and determinism', () => {
  it('writes compressed Parquet that reads back equal, with equal bytes for equal data', async () => {
    const dir = tempDir();
    const g = generateSynthetic({ users: 500, items: 300, interactions: 30000, seed: 4 });
    const s = preprocess(g.table, 500, 300, cfg);
    await writeInteractions(join(dir, 'a.parquet'), s.train);
    await writeInteractions(
      join(dir, 'b.parquet'),
      preprocess(
        generateSynthetic({ users: 500, items: 300, interactions: 30000, seed: 4 }).table,
        500,
        300,
        cfg,
      ).train,
    );
    const back = await readInteractionsParquet(join(dir, 'a.parquet'));
    expect(back.n).toBe(s.train.n);
    expect(Array.from(back.user)).toEqual(Array.from(s.train.user));
    expect(Array.from(back.rating)).toEqual(Array.from(s.train.rating));
    expect(Array.from(back.ts)).toEqual(Array.from(s.train.ts));
    const [ha, hb] = await Promise.all([
      sha256File(join(dir, 'a.parquet')),
      sha256File(join(dir, 'b.parquet')),
    ]);
    expect(ha.sha256).toBe(hb.sha256);
    // Compressed: well under the 20 raw bytes a row.
    expect(ha.bytes).toBeLessThan(s.train.n * 20 * 0.8);
    const st = splitStats(s);
    expect(st.trainRows + st.validRows + st.testRows).toBe(s.counts.kcore);
    expect(st.validRows).toBe(st.testRows);
  });
});
