import { describe, expect, it } from 'vitest';
import { resample, SOURCE } from '../../../lib/sampling/index.ts';
import type { ResampledSet } from '../../../lib/sampling/index.ts';
import { checkSet, config, pairs, randomInput } from './fixtures.ts';

/** Synthetic positives per user in a set. */
function synPerUser(s: ResampledSet): Int32Array {
  const out = new Int32Array(s.nUsers);
  for (let k = 0; k < s.n; k++)
    if (s.label[k] === 1 && s.source[k] !== SOURCE.real) out[s.user[k]!]!++;
  return out;
}

describe('resample: caps and target share', () => {
  const input = randomInput(11);

  it('respects maxSyntheticPerUser and counts what the cap drops', () => {
    const { b, report } = resample(
      input,
      config({ maxSyntheticPerUser: 3, syntheticShare: 0.9 }),
      1,
    );
    checkSet(b);
    expect(Math.max(...synPerUser(b))).toBe(3);
    expect(report.drops.total.userCap).toBeGreaterThan(0);
    expect(report.drops.total.share).toBe(0);
    const none = resample(input, config({ maxSyntheticPerUser: 0 }), 1);
    expect(none.report.rows.b.gan.positive + none.report.rows.b.llm.positive).toBe(0);
  });

  it('keeps synthetic rows of the sparsest share of users only, and counts the rest', () => {
    // Real positives per user, repeats counted once (as resample dedupes them).
    const deg = new Int32Array(input.nUsers);
    const pairsSeen = new Set<number>();
    for (let k = 0; k < input.train.n; k++) {
      const key = input.train.user[k]! * input.nItems + input.train.item[k]!;
      if (pairsSeen.has(key)) continue;
      pairsSeen.add(key);
      deg[input.train.user[k]!]!++;
    }
    const withRows = [...deg.keys()].filter((u) => deg[u]! > 0);
    // The sparsest quarter by the definition: fewest real rows, ties to the lower id.
    const sparse = new Set(
      [...withRows]
        .sort((x, y) => deg[x]! - deg[y]! || x - y)
        .slice(0, Math.floor(withRows.length / 4)),
    );
    const wide = config({ syntheticShare: 0.9 });
    const all = resample(input, wide, 3);
    const quarter = resample(input, { ...wide, syntheticUsersFraction: 0.25 }, 3);
    checkSet(quarter.b);
    const per = synPerUser(quarter.b);
    const perAll = synPerUser(all.b);
    for (let u = 0; u < input.nUsers; u++) expect(per[u]).toBe(sparse.has(u) ? perAll[u] : 0);
    expect(quarter.report.drops.total.notSparseUser).toBeGreaterThan(0);
    expect(all.report.drops.total.notSparseUser).toBe(0);
    // Dislikes of users outside the share go too.
    for (let k = 0; k < quarter.b.n; k++)
      if (quarter.b.source[k] === SOURCE.llm) expect(sparse.has(quarter.b.user[k]!)).toBe(true);
  });

  it.each([0.05, 0.1, 0.2])('hits a target share of %s when candidates suffice', (share) => {
    const { b, report } = resample(input, config({ syntheticShare: share }), 2);
    checkSet(b);
    expect(report.share.candidates).toBeGreaterThan(report.share.allowed);
    const syn = report.rows.b.gan.positive + report.rows.b.llm.positive;
    expect(syn).toBe(report.share.allowed);
    const real = report.rows.b.real.positive;
    expect(syn / (real + syn)).toBeLessThanOrEqual(share);
    expect(Math.abs(report.share.achieved - share)).toBeLessThan(1e-3);
    expect(report.drops.total.share).toBe(report.share.candidates - syn);
  });

  it('keeps every candidate when the share allows more than there are', () => {
    const { report } = resample(input, config({ syntheticShare: 0.9 }), 2);
    expect(report.share.candidates).toBeLessThan(report.share.allowed);
    expect(report.rows.b.gan.positive + report.rows.b.llm.positive).toBe(report.share.candidates);
  });

  it('share 0 keeps no synthetic positive but still keeps dislikes as negatives', () => {
    const { b, report } = resample(input, config({ syntheticShare: 0 }), 2);
    expect(report.rows.b.gan.positive + report.rows.b.llm.positive).toBe(0);
    expect(report.rows.b.llm.negative).toBeGreaterThan(0);
    checkSet(b);
  });

  it('keeps cold users rows first when subsampling', () => {
    const protect = 3;
    let cold = 0;
    const deg = new Int32Array(input.nUsers);
    for (let k = 0; k < input.train.n; k++) deg[input.train.user[k]!]!++;
    for (const d of deg) if (d <= protect) cold++;
    expect(cold).toBeGreaterThan(10);
    const all = resample(input, config({ syntheticShare: 0.9, protectColdUsers: protect }), 4);
    const few = resample(input, config({ syntheticShare: 0.05, protectColdUsers: protect }), 4);
    const off = resample(input, config({ syntheticShare: 0.05, protectColdUsers: 0 }), 4);
    const coldRows = (s: ResampledSet) => {
      const per = synPerUser(s);
      let n = 0;
      for (let u = 0; u < s.nUsers; u++) if (deg[u]! <= protect) n += per[u]!;
      return n;
    };
    // The share is binding but leaves room for every cold candidate: all of them stay.
    expect(few.report.share.candidates).toBeGreaterThan(few.report.share.allowed);
    expect(coldRows(all.b)).toBeLessThan(few.report.share.allowed);
    expect(coldRows(few.b)).toBe(coldRows(all.b));
    // Without protection the cold users get only their random share.
    expect(coldRows(off.b)).toBeLessThan(coldRows(all.b));
    expect(few.report.users.coldWithSynthetic).toBe(all.report.users.coldWithSynthetic);
  });

  it('tailBoost > 1 raises the long-tail share of kept synthetic items', () => {
    // No cold protection here: cold users' rows would fill the share whatever the weights.
    const run = (tailBoost: number) =>
      resample(input, config({ syntheticShare: 0.03, protectColdUsers: 0, tailBoost }), 5).report;
    const base = run(1);
    const boosted = run(8);
    const damped = run(0.125);
    expect(boosted.tail.syntheticShare).toBeGreaterThan(base.tail.syntheticShare + 0.08);
    expect(damped.tail.syntheticShare).toBeLessThan(base.tail.syntheticShare - 0.2);
  });

  it('never writes a synthetic row into A, nor a dislike anywhere but B', () => {
    const { a, b } = resample(
      input,
      config({ negatives: { strategy: 'uniform', perPositive: 1 } }),
      6,
    );
    checkSet(a);
    for (let k = 0; k < a.n; k++) {
      expect(a.source[k] === SOURCE.real || a.source[k] === SOURCE.sampled).toBe(true);
    }
    // A's positives are exactly the real (user, item) pairs.
    const real = new Set<number>();
    for (let k = 0; k < input.train.n; k++)
      real.add(input.train.user[k]! * input.nItems + input.train.item[k]!);
    expect(pairs(a, 1)).toEqual(real);
    // LLM dislikes: label 0 in B, and B keeps A's real positives.
    const dislikes = pairs(b, 0, SOURCE.llm);
    expect(dislikes.size).toBeGreaterThan(0);
    for (const key of dislikes) expect(real.has(key)).toBe(false);
    expect(pairs(b, 1, SOURCE.real)).toEqual(real);
  });

  it('report rows add up to the input per source', () => {
    const { report } = resample(
      input,
      config({ dropRate: 0.1, minScore: 0.2, syntheticShare: 0.1 }),
      7,
    );
    for (const kind of ['gan', 'llm'] as const) {
      const dropped = Object.values(report.drops[kind]).reduce((s, v) => s + v, 0);
      const kept = report.rows.b[kind].positive + report.rows.b[kind].negative;
      const given = report.input.synthetic[kind].positive + report.input.synthetic[kind].negative;
      expect(kept + dropped).toBe(given);
    }
    expect(report.popularity.items.reduce((s, v) => s + v, 0)).toBe(input.nItems);
    expect(report.popularity.real.reduce((s, v) => s + v, 0)).toBe(report.input.realPositives);
    expect(report.perUserSynthetic.users.reduce((s, v) => s + v, 0)).toBe(input.nUsers);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
