import { describe, expect, it } from 'vitest';
import { runSteps } from '../../../lib/async/steps.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import { ItemKnnScorer } from '../../../lib/models/baselines/item-knn.ts';
import {
  recencyRankSteps,
  recencyRanksAsync,
  recencyWeights,
} from '../../../lib/models/baselines/recency.ts';
import { strongestBaseline } from '../../../lib/models/baselines/strongest.ts';
import { EaseScorer } from '../../../lib/models/ease/ease.ts';
import { Rng } from '../../../lib/training/random.ts';
import { ringLog } from '../../helpers/ring-log.ts';

type Rows = { user: Int32Array; item: Int32Array; ts: Float64Array; n: number };

/** The ranks by a plain sort of each user's rows (the definition, written out). */
function referenceRanks(rows: Rows, nUsers: number): Int32Array {
  const csrOrder: number[] = [];
  for (let u = 0; u < nUsers; u++)
    for (let k = 0; k < rows.n; k++) if (rows.user[k] === u) csrOrder.push(k);
  const out = new Int32Array(rows.n);
  csrOrder.forEach((k, at) => {
    const later = (j: number) => {
      const [a, b] = [rows.ts[j]!, rows.ts[k]!];
      if (Number.isNaN(a) || Number.isNaN(b)) return j > k;
      return (
        a > b ||
        (a === b && (rows.item[j]! > rows.item[k]! || (rows.item[j] === rows.item[k] && j > k)))
      );
    };
    let r = 0;
    for (let j = 0; j < rows.n; j++) if (j !== k && rows.user[j] === rows.user[k] && later(j)) r++;
    out[at] = r;
  });
  return out;
}

function randomRows(rng: Rng, nUsers: number, n: number, withTs: boolean): Rows {
  const rows: Rows = {
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    ts: new Float64Array(n).fill(NaN),
  };
  for (let k = 0; k < n; k++) {
    rows.user[k] = Math.floor(rng.next() * nUsers);
    rows.item[k] = Math.floor(rng.next() * 30);
    if (withTs) rows.ts[k] = Math.floor(rng.next() * 5); // many ties
  }
  return rows;
}

describe('recency ranks', () => {
  it('counts the later rows of the user: by timestamp, then larger item, else file order', async () => {
    // User 1's rows in file order: (item 5, t 10), (item 2, t 30), (item 7, t 30), (item 1, t 20).
    const rows: Rows = {
      n: 6,
      user: Int32Array.of(1, 0, 1, 1, 0, 1),
      item: Int32Array.of(5, 3, 2, 7, 4, 1),
      ts: Float64Array.of(10, NaN, 30, 30, NaN, 20),
    };
    // CSR order: user 0's rows (file order), then user 1's.
    const ranks = await recencyRanksAsync(rows, 3);
    // User 0 has no timestamps: the later row in the file is the later one.
    // User 1: item 7 (t 30, larger item) is the latest, then item 2, item 1 (t 20), item 5.
    expect([...ranks]).toEqual([1, 0, 3, 1, 0, 2]);
  });

  it('matches the definition on random logs, with and without timestamps', () => {
    const rng = new Rng(3);
    for (let c = 0; c < 60; c++) {
      const rows = randomRows(rng, 7, 1 + Math.floor(rng.next() * 80), c % 2 === 0);
      expect([...runSteps(recencyRankSteps(rows, 7))]).toEqual([...referenceRanks(rows, 7)]);
    }
  });

  it('weights halve every half-life and reject a half-life that is not positive', () => {
    expect([...recencyWeights(Int32Array.of(0, 2, 4), 2)]).toEqual([1, 0.5, 0.25]);
    expect(() => recencyWeights(Int32Array.of(0), 0)).toThrow(/half-life/);
  });
});

describe('history weights of the item-item scorers', () => {
  const rng = new Rng(11);
  const nUsers = 40;
  const nItems = 30;
  const rows = randomRows(rng, nUsers, 400, true);
  const train = csrFromCoo(rows.user, rows.item, rows.n, nUsers);
  const users = Int32Array.from({ length: nUsers }, (_, u) => u);
  const scores = (s: { scoreUsers(u: Int32Array, out: Float32Array): void }) => {
    const out = new Float32Array(nUsers * nItems);
    s.scoreUsers(users, out);
    return out;
  };
  const entries = rows.n;
  const half = (parity: number) =>
    Float32Array.from({ length: entries }, (_, k) => (k % 2 === parity ? 0.5 + (k % 5) : 0));

  for (const [name, fit] of [
    ['EASE', () => EaseScorer.fit(train, nItems, 10)],
    ['ItemKNN', () => ItemKnnScorer.fit(train, nItems, { popularityTieBreak: false })],
  ] as const) {
    it(`${name}: weight 1 scores as the plain model, and scores are linear in the weights`, () => {
      const plain = fit();
      const ones = scores(plain.withHistoryWeight(new Float32Array(entries).fill(1)));
      const base = scores(plain);
      // ItemKNN drops duplicate (user, item) rows: the weight of a kept row is its first one's.
      for (let k = 0; k < base.length; k++) expect(ones[k]).toBeCloseTo(base[k]!, 4);
      const a = scores(plain.withHistoryWeight(half(0)));
      const b = scores(plain.withHistoryWeight(half(1)));
      const sum = half(0).map((x, k) => x + half(1)[k]!);
      const both = scores(plain.withHistoryWeight(sum));
      for (let k = 0; k < both.length; k++) expect(both[k]).toBeCloseTo(a[k]! + b[k]!, 3);
      expect(() => plain.withHistoryWeight(new Float32Array(3))).toThrow(RangeError);
    });
  }
});

describe('strongestBaseline with recency', () => {
  const log = ringLog(2);

  it('keeps a half-life when the latest items predict the validation item, and refits it', async () => {
    const recency = await recencyRanksAsync(log.rows, log.nUsers);
    const plain = await strongestBaseline(log.train, log.valid, log.nItems, {
      candidates: ['itemknn'],
    });
    const s = await strongestBaseline(log.train, log.valid, log.nItems, {
      candidates: ['itemknn'],
      recency,
    });
    const chosen = s.candidates[0]!.chosen!;
    expect(typeof chosen.halfLife).toBe('number');
    const grid = chosen.recency as { halfLife: number | null; validNdcg10: number }[];
    expect(grid[0]).toEqual({ halfLife: null, validNdcg10: plain.validNdcg10 });
    expect(s.validNdcg10).toBe(Math.max(...grid.map((g) => g.validNdcg10)));
    expect(s.validNdcg10).toBeGreaterThan(plain.validNdcg10 * 1.5);

    // A known choice refits to the same scores; it needs the ranks to do so.
    const known = { name: s.name, validNdcg10: s.validNdcg10, candidates: s.candidates };
    const refit = await strongestBaseline(log.train, log.valid, log.nItems, { known, recency });
    const users = Int32Array.from({ length: 20 }, (_, u) => u);
    const [x, y] = [new Float32Array(20 * log.nItems), new Float32Array(20 * log.nItems)];
    s.scorer.scoreUsers(users, x);
    refit.scorer.scoreUsers(users, y);
    expect(y).toEqual(x);
    await expect(strongestBaseline(log.train, log.valid, log.nItems, { known })).rejects.toThrow(
      /recency/,
    );
  }, 60_000);

  it('keeps the plain history when the order says nothing (every rank equal)', async () => {
    const s = await strongestBaseline(log.train, log.valid, log.nItems, {
      candidates: ['itemknn', 'ease'],
      recency: new Int32Array(log.rows.n),
    });
    for (const c of s.candidates) {
      expect(c.chosen!.halfLife).toBeUndefined();
      const grid = c.chosen!.recency as { validNdcg10: number }[];
      expect(grid.every((g) => g.validNdcg10 === grid[0]!.validNdcg10)).toBe(true);
    }
  }, 60_000);
});
