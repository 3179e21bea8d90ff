import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { syntheticSplits } from '../../../lib/data/synthetic-splits.ts';
import { csrFromCoo, nonEmptyRows, rowCounts } from '../../../lib/eval/csr.ts';
import { sparsestPositions } from '../../../lib/eval/full-ranking.ts';
import { trainConfigOf } from '../../../lib/models/auto-family.ts';
import {
  policyScorer,
  screeningConfig,
  validationFigures,
  validationHalves,
} from '../../../lib/policy/index.ts';
import { trainingSetOf } from '../../helpers/training-set.ts';

const { pre, nUsers, nItems } = syntheticSplits({
  users: 300,
  items: 150,
  interactions: 12_000,
  seed: 5,
  kCore: 5,
});
const csr = (t: typeof pre.train) => csrFromCoo(t.user, t.item, t.n, nUsers);
const train = csr(pre.train);
// Some users without a validation item, so the split must leave them out.
const validRows = [...pre.valid.user.keys()].filter((r) => pre.valid.user[r]! % 10 !== 0);
const valid = csrFromCoo(
  Int32Array.from(validRows, (r) => pre.valid.user[r]!),
  Int32Array.from(validRows, (r) => pre.valid.item[r]!),
  validRows.length,
  nUsers,
);

describe('validationHalves', () => {
  const halves = validationHalves(train, valid, 0.25, 1);
  const users = nonEmptyRows(valid);

  it('puts every user with a validation item in exactly one half', () => {
    const both = [...halves.selection, ...halves.confirmation].sort((x, y) => x - y);
    expect(both).toEqual([...users]);
    expect(halves.selection.length - halves.confirmation.length).toBeGreaterThanOrEqual(0);
    expect(halves.selection.length - halves.confirmation.length).toBeLessThanOrEqual(2);
    expect([...halves.selection]).toEqual([...halves.selection].sort((x, y) => x - y));
  });

  it('deals the sparse users (as the evaluation defines them) evenly between the halves', () => {
    const sparse = new Set(
      Array.from(sparsestPositions(users, rowCounts(train), 0.25), (q) => users[q]!),
    );
    const inSelection = halves.selection.filter((u) => sparse.has(u)).length;
    expect(sparse.size).toBeGreaterThan(40);
    expect(inSelection - (sparse.size - inSelection)).toBeGreaterThanOrEqual(0);
    expect(inSelection - (sparse.size - inSelection)).toBeLessThanOrEqual(1);
  });

  it('is the same for the same seed and another for another seed', () => {
    expect(validationHalves(train, valid, 0.25, 1)).toEqual(halves);
    expect([...validationHalves(train, valid, 0.25, 2).selection]).not.toEqual([
      ...halves.selection,
    ]);
  });
});

const set = trainingSetOf(pre.train, nUsers, nItems);
const segments = { sparseFraction: 0.25, tailFraction: 0.8 };

describe('validationFigures', () => {
  it('reads the figures of each half off one ranking of every validation user', async () => {
    const halves = validationHalves(train, valid, 0.25, 3);
    const { model } = parsePipelineConfig({ model: { family: 'ials', factors: 8, epochs: 3 } });
    const { figures: f } = await validationFigures(
      set,
      { train, valid },
      halves,
      trainConfigOf(model, 1),
      segments,
    );
    // One validation item per user: the whole is the user-weighted mean of the halves.
    const ns = halves.selection.length;
    const nc = halves.confirmation.length;
    expect(f.ndcg10).toBeGreaterThan(0);
    expect(f.ndcg10).toBeCloseTo(
      (ns * f.selection.ndcg10 + nc * f.confirmation.ndcg10) / (ns + nc),
      12,
    );
    expect(f.selection.sparseNdcg10).not.toBe(f.confirmation.sparseNdcg10);
  }, 60_000);
});

describe('the policy scorer', () => {
  // The plain history (recency none): these users' train rows carry no order.
  const ease = trainConfigOf(
    parsePipelineConfig({ model: { family: 'ease', recency: 'none' } }).model,
    1,
  );

  it('screens EASE candidates at the lambda multiple A chose; other families train as configured', () => {
    expect(screeningConfig(ease, { lambda: 40, relativeLambda: 8, halfLife: 4 })).toEqual({
      ...ease,
      relativeLambdas: [8],
    });
    expect(screeningConfig(ease, undefined)).toBe(ease);
    const ials = trainConfigOf(parsePipelineConfig({ model: { family: 'ials' } }).model, 1);
    expect(screeningConfig(ials, { relativeLambda: 8 })).toBe(ials);
  });

  it('scores A with the whole search, then each candidate at what A chose (or, unscreened, the whole search)', async () => {
    const halves = validationHalves(train, valid, 0.25, 3);
    const validation = { train, valid };
    // A candidate: the same rows, the first user's at half weight (as synthetic rows are).
    const weight = set.weight.slice();
    for (let r = 0; r < set.n; r++) if (set.user[r] === 0) weight[r] = 0.5;
    const candidate = { ...set, weight };
    const scorer = policyScorer(validation, halves, ease, segments);
    expect(scorer.screenedAt()).toEqual({});
    expect(scorer.configFor('candidate')).toBe(ease);
    const a = await scorer.score(set, 'A');
    expect(a).toEqual((await validationFigures(set, validation, halves, ease, segments)).figures);
    const { relativeLambda } = scorer.screenedAt();
    expect([0.5, 2, 8, 32]).toContain(relativeLambda);
    const screened = { ...ease, relativeLambdas: [relativeLambda!] };
    expect(scorer.configFor('candidate')).toEqual(screened);
    expect(scorer.configFor('A')).toBe(ease);
    expect(await scorer.score(candidate, 'candidate')).toEqual(
      (await validationFigures(candidate, validation, halves, screened, segments)).figures,
    );
    const whole = policyScorer(validation, halves, ease, segments, { screen: false });
    await whole.score(set, 'A');
    expect(whole.screenedAt()).toEqual({});
    expect(whole.configFor('candidate')).toBe(ease);
    expect(await whole.score(candidate, 'candidate')).toEqual(
      (await validationFigures(candidate, validation, halves, ease, segments)).figures,
    );
  }, 60_000);

  it("measures the cold users on every validation user, and a candidate's change against A's", async () => {
    const halves = validationHalves(train, valid, 0.25, 3);
    const validation = { train, valid };
    const withCold = { ...segments, coldThreshold: 12, alpha: 0.05 };
    const counts = rowCounts(train);
    const cold = nonEmptyRows(valid).filter((u) => counts[u]! <= 12).length;
    expect(cold).toBeGreaterThan(5);
    const scorer = policyScorer(validation, halves, ease, withCold, { screen: false });
    const a = await scorer.score(set, 'A');
    expect(a.coldUsers?.users).toBe(cold);
    expect(a.coldUsers?.deltaHigh).toBeUndefined();
    // The same rows again: every cold user's change is 0, so is the interval's top.
    const same = await scorer.score(set, 'candidate');
    expect(same.coldUsers).toEqual({ ...a.coldUsers, deltaHigh: 0 });
    // Without the cold threshold (a config from before the rail): not measured.
    expect(
      (await validationFigures(set, validation, halves, ease, segments)).figures.coldUsers,
    ).toBeUndefined();
  }, 60_000);
});
