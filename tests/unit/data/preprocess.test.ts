import { describe, expect, it } from 'vitest';
import { IdMap, Rng, gini, preprocess } from '../../../lib/data/index.ts';
import type { Interactions, PreprocessConfig, PreprocessResult } from '../../../lib/data/index.ts';

interface Row {
  u: number;
  i: number;
  r: number;
  t: number;
  k: number;
}

/** A small random log with duplicates, timestamp ties, missing ratings and bad rows. */
function randomTable(seed: number, withTs = true) {
  const rng = new Rng(seed);
  const nU = 5 + rng.int(25);
  const nI = 5 + rng.int(15);
  const n = 50 + rng.int(400);
  const t: Interactions = {
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    rating: new Float32Array(n),
    ts: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    t.user[k] = rng.int(nU);
    t.item[k] = Math.floor(Math.pow(rng.next(), 2) * nI); // skewed, so k-core bites
    t.rating[k] = rng.next() < 0.1 ? NaN : 1 + rng.int(5);
    t.ts[k] = withTs ? 1000 + rng.int(40) : NaN; // few distinct times: many ties
  }
  if (n > 10) t.rating[3] = Infinity; // invalid row
  const users = IdMap.of(Array.from({ length: nU }, (_, u) => `u${u}`));
  const items = IdMap.of(Array.from({ length: nI }, (_, i) => 1000 + i));
  return { table: t, users, items };
}

/** Straightforward reference: objects, maps and sorts, step by step as documented. */
function reference(input: ReturnType<typeof randomTable>, cfg: PreprocessConfig) {
  const t = input.table;
  const hasTs = Array.from(t.ts).some((x) => !Number.isNaN(x));
  let rows: Row[] = [];
  for (let k = 0; k < t.n; k++) {
    const r = t.rating[k]!;
    if (!Number.isFinite(r) && !Number.isNaN(r)) continue;
    if (Number.isNaN(r) || r >= cfg.positiveThreshold)
      rows.push({ u: t.user[k]!, i: t.item[k]!, r, t: t.ts[k]!, k });
  }
  const latest = new Map<string, Row>();
  for (const row of rows) {
    const key = `${row.u}:${row.i}`;
    const prev = latest.get(key);
    if (!prev || !hasTs || row.t >= prev.t) latest.set(key, row);
  }
  rows = [...latest.values()];
  for (;;) {
    const du = new Map<number, number>();
    const di = new Map<number, number>();
    for (const r of rows) {
      du.set(r.u, (du.get(r.u) ?? 0) + 1);
      di.set(r.i, (di.get(r.i) ?? 0) + 1);
    }
    const next = rows.filter((r) => du.get(r.u)! >= cfg.kCore && di.get(r.i)! >= cfg.kCore);
    if (next.length === rows.length) break;
    rows = next;
  }
  const us = [...new Set(rows.map((r) => r.u))].sort((a, b) => a - b);
  const is = [...new Set(rows.map((r) => r.i))].sort((a, b) => a - b);
  const split = new Map<Row, string>();
  for (const u of us) {
    const mine = rows
      .filter((r) => r.u === u)
      .sort((a, b) => (hasTs ? a.t - b.t || is.indexOf(a.i) - is.indexOf(b.i) : a.k - b.k));
    mine.forEach((r, idx) => {
      const fromEnd = mine.length - idx;
      split.set(
        r,
        mine.length >= 3 && fromEnd === 1
          ? 'test'
          : mine.length >= 3 && fromEnd === 2
            ? 'valid'
            : 'train',
      );
    });
  }
  const tuples = rows
    .map((r) => `${input.users.idOf(r.u)}|${input.items.idOf(r.i)}|${r.r}|${r.t}|${split.get(r)}`)
    .sort();
  return {
    tuples,
    users: us.map((u) => input.users.idOf(u)),
    items: is.map((i) => input.items.idOf(i)),
  };
}

function actualTuples(res: PreprocessResult) {
  const out: string[] = [];
  for (const name of ['train', 'valid', 'test'] as const) {
    const s = res[name];
    for (let k = 0; k < s.n; k++)
      out.push(
        `${res.users.idOf(s.user[k]!)}|${res.items.idOf(s.item[k]!)}|${s.rating[k]}|${s.ts[k]}|${name}`,
      );
  }
  return out.sort();
}

describe('preprocess against a brute-force reference', () => {
  for (const kCore of [0, 2, 3, 5]) {
    it(`k-core ${kCore}, leave-last-out, 25 random logs`, () => {
      for (let seed = 1; seed <= 25; seed++) {
        const input = randomTable(seed * 7 + kCore);
        const cfg: PreprocessConfig = { positiveThreshold: 3, kCore, split: 'leave-last-out' };
        const ref = reference(input, cfg);
        const res = preprocess(input, cfg);
        expect(actualTuples(res)).toEqual(ref.tuples);
        // Dense re-index in ingest order, and maps that follow it.
        expect(res.users.ids()).toEqual(ref.users);
        expect(res.items.ids()).toEqual(ref.items);
        expect(res.stats.users).toBe(ref.users.length);
        expect(res.counts.invalid).toBe(1);
        if (kCore > 1) {
          for (const [id, d] of degrees(res))
            expect(d, `degree of ${id}`).toBeGreaterThanOrEqual(kCore);
        }
      }
    });
  }

  it('without timestamps, file order decides "latest"', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const input = randomTable(seed, false);
      const cfg: PreprocessConfig = { positiveThreshold: 3, kCore: 2, split: 'leave-last-out' };
      expect(actualTuples(preprocess(input, cfg))).toEqual(reference(input, cfg).tuples);
    }
  });

  it('users with fewer than 3 rows keep everything in train', () => {
    const t: Interactions = {
      n: 5,
      user: Int32Array.of(0, 0, 1, 1, 1),
      item: Int32Array.of(0, 1, 0, 1, 2),
      rating: new Float32Array(5).fill(NaN),
      ts: Float64Array.of(1, 2, 1, 2, 3),
    };
    const res = preprocess(
      { table: t, users: IdMap.of(['a', 'b']), items: IdMap.of(['x', 'y', 'z']) },
      { positiveThreshold: 4, kCore: 0, split: 'leave-last-out' },
    );
    expect(res.stats).toMatchObject({ trainRows: 3, validRows: 1, testRows: 1 });
    expect(res.users.idOf(res.test.user[0]!)).toBe('b');
    expect(res.items.idOf(res.test.item[0]!)).toBe('z');
    expect(res.items.idOf(res.valid.item[0]!)).toBe('y');
  });

  it('timestamp ties go to the larger item index', () => {
    const t: Interactions = {
      n: 3,
      user: Int32Array.of(0, 0, 0),
      item: Int32Array.of(2, 0, 1),
      rating: new Float32Array(3).fill(5),
      ts: Float64Array.of(7, 7, 7),
    };
    const res = preprocess(
      { table: t, users: IdMap.of(['a']), items: IdMap.of(['x', 'y', 'z']) },
      { positiveThreshold: 4, kCore: 0, split: 'leave-last-out' },
    );
    expect(res.items.idOf(res.test.item[0]!)).toBe('z');
    expect(res.items.idOf(res.valid.item[0]!)).toBe('y');
  });
});

function degrees(res: PreprocessResult): Map<string, number> {
  const d = new Map<string, number>();
  for (const s of [res.train, res.valid, res.test])
    for (let k = 0; k < s.n; k++) {
      for (const key of [`u${s.user[k]}`, `i${s.item[k]}`]) d.set(key, (d.get(key) ?? 0) + 1);
    }
  return d;
}

describe('random split', () => {
  const big = () => {
    const n = 20_000;
    const t: Interactions = {
      n,
      user: new Int32Array(n),
      item: new Int32Array(n),
      rating: new Float32Array(n).fill(NaN),
      ts: new Float64Array(n),
    };
    for (let k = 0; k < n; k++) {
      t.user[k] = k % 500;
      t.item[k] = Math.floor(k / 500);
      t.ts[k] = k;
    }
    return {
      table: t,
      users: IdMap.of(Array.from({ length: 500 }, (_, i) => i)),
      items: IdMap.of(Array.from({ length: 40 }, (_, i) => i)),
    };
  };
  const cfg = (seed: number): PreprocessConfig => ({
    positiveThreshold: 4,
    kCore: 0,
    split: 'random',
    ratios: { train: 0.7, valid: 0.1, test: 0.2 },
    seed,
  });

  it('follows the ratios and is deterministic per seed', () => {
    const a = preprocess(big(), cfg(1));
    const b = preprocess(big(), cfg(1));
    const c = preprocess(big(), cfg(2));
    expect(Array.from(a.test.item)).toEqual(Array.from(b.test.item));
    expect(Array.from(a.test.item)).not.toEqual(Array.from(c.test.item));
    expect(a.train.n + a.valid.n + a.test.n).toBe(20_000);
    expect(a.train.n / 20_000).toBeCloseTo(0.7, 1);
    expect(a.test.n / 20_000).toBeCloseTo(0.2, 1);
  });

  it('rejects ratios that do not sum to 1', () => {
    expect(() =>
      preprocess(big(), { ...cfg(1), ratios: { train: 0.7, valid: 0.2, test: 0.2 } }),
    ).toThrow(/sum to 1/);
  });
});

describe('stats', () => {
  it('gini matches the sorted-rank formula', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const counts = Int32Array.from({ length: 1 + rng.int(50) }, () => rng.int(30));
      const v = Array.from(counts).sort((a, b) => a - b);
      const sum = v.reduce((s, x) => s + x, 0);
      const n = v.length;
      const expected =
        sum === 0 ? 0 : (2 * v.reduce((s, x, i) => s + (i + 1) * x, 0)) / (n * sum) - (n + 1) / n;
      expect(gini(counts)).toBeCloseTo(expected, 12);
    }
    expect(gini(Int32Array.of(5, 5, 5))).toBe(0);
    expect(gini(Int32Array.of(0, 0, 0, 12))).toBeCloseTo(0.75, 12);
  });

  it('counts users, rows, density and the per-user histogram', () => {
    const res = preprocess(randomTable(3), {
      positiveThreshold: 3,
      kCore: 2,
      split: 'leave-last-out',
    });
    const s = res.stats;
    expect(s.trainRows + s.validRows + s.testRows).toBe(res.counts.afterKCore);
    expect(s.density).toBeCloseTo(res.counts.afterKCore / (s.users * s.items), 12);
    expect(Object.values(s.userHistogram).reduce((a, b) => a + b, 0)).toBe(s.users);
    expect(s.rowsPerUser.min).toBeGreaterThanOrEqual(2);
  });
});
