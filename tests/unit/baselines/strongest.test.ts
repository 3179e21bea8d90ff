import { describe, expect, it } from 'vitest';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import { EASE_MAX_ITEMS } from '../../../lib/models/ease/ease.ts';
import { ItemKnnScorer } from '../../../lib/models/baselines/item-knn.ts';
import { choiceOf, strongestBaseline } from '../../../lib/models/baselines/strongest.ts';
import { validationOf } from '../../../lib/models/baselines/tuned.ts';
import { validationNdcg10 } from '../../../lib/models/validation-score.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

// On this log EASE ranks the validation items far better than ItemKNN (about 0.27 vs 0.19).
const { data } = syntheticSplits({
  users: 1500,
  items: 800,
  interactions: 60_000,
  seed: 5,
  kCore: 5,
});

describe('strongestBaseline', () => {
  it('keeps the clearly better candidate, whatever the order, with every figure', async () => {
    const s = await strongestBaseline(data.train, data.valid, data.nItems, {
      candidates: ['itemknn', 'ease'],
    });
    expect(s.name).toBe('ease');
    expect(s.blend).toBeUndefined();
    expect(s.candidates.map((c) => c.name)).toEqual(['itemknn', 'ease']);
    const [knn, ease] = s.candidates;
    expect(ease!.validNdcg10).toBeGreaterThan(knn!.validNdcg10! * 1.2);
    expect(s.validNdcg10).toBe(ease!.validNdcg10);
    // EASE's figure is that of its lambda chosen on validation.
    const grid = ease!.chosen!.candidates as { lambda: number; validNdcg10: number }[];
    expect(ease!.validNdcg10).toBe(Math.max(...grid.map((g) => g.validNdcg10)));
    // ItemKNN's figure is its NDCG@10 on the same validation users.
    const independent = await validationNdcg10(
      ItemKnnScorer.fit(data.train, data.nItems),
      validationOf(data.train, data.valid),
    );
    expect(knn!.validNdcg10).toBeCloseTo(independent, 12);

    const reversed = await strongestBaseline(data.train, data.valid, data.nItems, {
      candidates: ['ease', 'itemknn'],
    });
    expect(reversed.name).toBe('ease');
    expect(reversed.validNdcg10).toBe(s.validNdcg10);
  }, 60_000);

  it('keeps a blend only when it beats the best candidate on validation, and refits it from the choice', async () => {
    const candidates = ['ease', 'rp3beta', 'itemknn'] as const;
    const s = await strongestBaseline(data.train, data.valid, data.nItems, {
      candidates,
      blend: true,
    });
    const best = Math.max(...s.candidates.map((c) => c.validNdcg10!));
    expect(s.candidates.find((c) => c.name === s.name)!.validNdcg10).toBe(best);
    const v = validationOf(data.train, data.valid);
    // On this log EASE leads and RP3beta's random walk adds what EASE misses.
    expect(s.blend!.parts.slice(0, 2)).toEqual([
      { name: 'ease', weight: 1 },
      { name: 'rp3beta', weight: expect.any(Number) },
    ]);
    expect(s.validNdcg10).toBe(s.blend!.validNdcg10);
    expect(s.validNdcg10).toBeGreaterThan(best);
    // Every blend tried is listed (each weight of each other candidate); the kept one is the best.
    expect(s.blend!.tried).toHaveLength(6);
    expect(s.validNdcg10).toBe(Math.max(...s.blend!.tried.map((t) => t.validNdcg10)));
    // The teacher's figure is its scorer's NDCG@10 on the same validation users.
    expect(await validationNdcg10(s.scorer, v)).toBeCloseTo(s.validNdcg10, 12);
    // Refitted from the plain-data choice, the teacher scores the same.
    const refit = await strongestBaseline(data.train, data.valid, data.nItems, {
      candidates,
      known: choiceOf(s),
    });
    const users = Int32Array.from({ length: 30 }, (_, u) => u * 7);
    const [x, y] = [new Float32Array(30 * data.nItems), new Float32Array(30 * data.nItems)];
    s.scorer.scoreUsers(users, x);
    refit.scorer.scoreUsers(users, y);
    expect(y).toEqual(x);
    // Without blends (the default) the best candidate is the teacher.
    const single = await strongestBaseline(data.train, data.valid, data.nItems, { candidates });
    expect(single.blend).toBeUndefined();
    expect(single.validNdcg10).toBe(best);
  }, 120_000);

  it("gives each user's top unseen items by the teacher's score, exclusions respected", async () => {
    const s = await strongestBaseline(data.train, data.valid, data.nItems, {
      candidates: ['itemknn'],
    });
    // Enough users that some validation items would make their top 10 if not left out.
    const users = Int32Array.from({ length: 60 }, (_, u) => u);
    const excluded = new Uint8Array(data.nItems);
    for (let i = 0; i < data.nItems; i += 3) excluded[i] = 1;
    const top = await s.topUnseen(users, 10, { rows: data.valid, items: excluded });
    const scores = new Float32Array(data.nItems);
    users.forEach((u, r) => {
      s.scorer.scoreUsers(Int32Array.of(u), scores);
      const hidden = new Set<number>();
      for (const csr of [data.train, data.valid])
        for (let a = csr.indptr[u]!; a < csr.indptr[u + 1]!; a++) hidden.add(csr.indices[a]!);
      const expected = [...scores.keys()]
        .filter((i) => !hidden.has(i) && !excluded[i])
        .sort((x, y) => scores[y]! - scores[x]! || x - y)
        .slice(0, 10);
      expect([...top.items.subarray(r * 10, r * 10 + 10)]).toEqual(expected);
      expect([...top.scores.subarray(r * 10, r * 10 + 10)]).toEqual(expected.map((i) => scores[i]));
    });
  });

  it('leaves EASE out above its catalog limit, and says so; none left is an error', async () => {
    const nItems = EASE_MAX_ITEMS + 1;
    // Two users share items 0..2; each has one validation item.
    const train = csrFromCoo(Int32Array.of(0, 0, 1, 1, 1), Int32Array.of(0, 1, 0, 1, 2), 5, 2);
    const valid = csrFromCoo(Int32Array.of(0, 1), Int32Array.of(2, 3), 2, 2);
    const s = await strongestBaseline(train, valid, nItems, { candidates: ['ease', 'itemknn'] });
    expect(s.name).toBe('itemknn');
    expect(s.candidates[0]).toMatchObject({ name: 'ease' });
    expect(s.candidates[0]!.skipped).toMatch(/above EASE's dense limit/);
    expect(s.candidates[0]!.validNdcg10).toBeUndefined();
    await expect(strongestBaseline(train, valid, nItems, { candidates: ['ease'] })).rejects.toThrow(
      /every candidate was skipped \(ease: the catalog has 5001 items/,
    );
  });
});
