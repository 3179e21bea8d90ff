import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSynthetic, gini } from '../../../lib/data/index.ts';
import { generateSyntheticAsync } from '../../../lib/data/synthetic.ts';

const hash = (...arrays: ArrayBufferView[]) => {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
};

describe('synthetic generator', () => {
  const spec = { users: 2000, items: 1000, interactions: 100_000, seed: 11, clusters: 8 };
  const g = generateSynthetic(spec);
  const t = g.table;

  it('is deterministic per seed and differs across seeds', () => {
    const again = generateSynthetic(spec);
    expect(hash(again.table.user, again.table.item, again.table.rating, again.table.ts)).toBe(
      hash(t.user, t.item, t.rating, t.ts),
    );
    expect(again.meta).toEqual(g.meta);
    const other = generateSynthetic({ ...spec, seed: 12 });
    expect(hash(other.table.item)).not.toBe(hash(t.item));
  });

  // ingest generates in an activity: the same log, with the event loop free between chunks
  // (a 100M-row log held it for 30-40 s in one call).
  it('makes the same log in an activity, giving the event loop turns while it works', async () => {
    const big = { users: 20_000, items: 2000, interactions: 3_000_000, seed: 5 };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    // A turn at every step (slice 0 ms): a timer gets to run; one long call would starve it.
    const a = await generateSyntheticAsync(big, 0);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    const s = generateSynthetic(big);
    expect(hash(a.table.user, a.table.item, a.table.rating, a.table.ts)).toBe(
      hash(s.table.user, s.table.item, s.table.rating, s.table.ts),
    );
    expect(await generateSyntheticAsync(spec)).toEqual(g);
  });

  it('has valid rows: indices in range, ratings 1..5, timestamps in the window', () => {
    for (let k = 0; k < t.n; k++) {
      expect(t.user[k]! >= 0 && t.user[k]! < 2000 && t.item[k]! >= 0 && t.item[k]! < 1000).toBe(
        true,
      );
      if (![1, 2, 3, 4, 5].includes(t.rating[k]!)) throw new Error(`rating ${t.rating[k]} at ${k}`);
    }
    expect(Math.min(...t.ts)).toBeGreaterThanOrEqual(1_546_300_800);
    expect(Math.max(...t.ts)).toBeLessThan(1_546_300_800 + 3 * 365 * 86_400);
  });

  it('item popularity is heavy-tailed (power-law-ish), user activity skewed', () => {
    const pop = new Int32Array(1000);
    const act = new Int32Array(2000);
    for (let k = 0; k < t.n; k++) {
      pop[t.item[k]!]!++;
      act[t.user[k]!]!++;
    }
    const sorted = Array.from(pop).sort((a, b) => b - a);
    const top1pct = sorted.slice(0, 10).reduce((a, b) => a + b, 0) / t.n;
    expect(top1pct).toBeGreaterThan(0.08); // top 1% of items >= 8% of interactions
    expect(gini(pop)).toBeGreaterThan(0.5);
    // Rank-frequency slope on log-log between ranks 10 and 300: clearly negative.
    const slope = (Math.log(sorted[299]!) - Math.log(sorted[9]!)) / (Math.log(300) - Math.log(10));
    expect(slope).toBeLessThan(-0.5);
    expect(gini(act)).toBeGreaterThan(0.35);
  });

  it('interactions depend on user cluster x item genre, not only popularity', () => {
    // Share of each user's interactions in their own cluster's genre vs the global share.
    const own = new Int32Array(8);
    const total = new Int32Array(8);
    const globalGenre = new Int32Array(8);
    for (let k = 0; k < t.n; k++) {
      const c = g.truth.userCluster[t.user[k]!]!;
      const gi = g.truth.itemGenre[t.item[k]!]!;
      total[c]!++;
      globalGenre[gi]!++;
      if (gi === c) own[c]!++;
    }
    for (let c = 0; c < 8; c++) {
      const lift = own[c]! / total[c]! / (globalGenre[c]! / t.n);
      expect(lift, `cluster ${c} lift`).toBeGreaterThan(2.5);
    }
    // Ratings carry the same signal: in-cluster items are rated higher.
    let inSum = 0,
      inN = 0,
      outSum = 0,
      outN = 0;
    for (let k = 0; k < t.n; k++) {
      const same = g.truth.userCluster[t.user[k]!] === g.truth.itemGenre[t.item[k]!];
      if (same) {
        inSum += t.rating[k]!;
        inN++;
      } else {
        outSum += t.rating[k]!;
        outN++;
      }
    }
    expect(inSum / inN - outSum / outN).toBeGreaterThan(0.6);
  });

  it('within genres, users pick items of their own style: a per-user signal beyond genre', () => {
    // Taste picks (75%) keep to the user's style 3 times in 4; the rest land on a style at
    // random (1 in 4): about 0.75 x (0.75 + 0.25 / 4) + 0.25 / 4 = 0.67 of rows.
    let same = 0;
    for (let k = 0; k < t.n; k++)
      if (g.truth.userStyle[t.user[k]!] === g.truth.itemStyle[t.item[k]!]) same++;
    expect(same / t.n).toBeGreaterThan(0.6);
    expect(same / t.n).toBeLessThan(0.75);
    // Styles are spread over users and items alike.
    for (const styles of [g.truth.userStyle, g.truth.itemStyle]) {
      const counts = new Int32Array(4);
      for (const s of styles) counts[s]!++;
      for (const c of counts) expect(c / styles.length).toBeGreaterThan(0.2);
    }
  });

  it('items have readable titles, genres and years', () => {
    expect(g.meta.title[0]).toMatch(/^[A-Z].+ \(\d{4}\)$/);
    expect(g.meta.genres.every((x) => /^[A-Za-z-]+( \d+)?(\|[A-Za-z-]+( \d+)?)?$/.test(x))).toBe(
      true,
    );
    expect(new Set(g.meta.title).size).toBeGreaterThan(900);
    expect(g.meta.year.every((y) => y >= 1950 && y <= 2023)).toBe(true);
  });
});
