import { describe, expect, it } from 'vitest';
import { runSteps } from '../../../lib/async/steps.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import {
  GeneratorScorer,
  chooseGeneratorRecency,
  conditionWeights,
  trainCfgan,
} from '../../../lib/gan/index.ts';
import type { CfganConfig, GeneratorWeights } from '../../../lib/gan/index.ts';
import { initGenerator } from '../../../lib/gan/generator.ts';
import { gatherSum } from '../../../lib/gan/sparse-rows.ts';
import { recencyRankSteps } from '../../../lib/models/baselines/recency.ts';
import { validationNdcg10 } from '../../../lib/models/validation-score.ts';
import { Rng } from '../../../lib/training/random.ts';
import { SMALL_CFGAN } from '../../helpers/small-cfgan.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

// user 0: items 1, 3; user 1: none; user 2: items 0, 1, 3
const csr = csrFromCoo(Int32Array.of(0, 0, 2, 2, 2), Int32Array.of(1, 3, 0, 1, 3), 5, 3);

describe('the recency-weighted condition', () => {
  it('weights 2^(-r/h) rescaled so each history keeps its size', () => {
    // user 0: item 3 is the latest; user 2: 0, then 1, then 3.
    const ranks = Int32Array.of(1, 0, 2, 1, 0);
    const w = conditionWeights(csr, ranks, 1);
    const u0 = [0.5, 1].map((x) => (x * 2) / 1.5);
    const u2 = [0.25, 0.5, 1].map((x) => (x * 3) / 1.75);
    [...u0, ...u2].forEach((want, p) => expect(w[p]).toBeCloseTo(want, 6));
    expect(w[0]! + w[1]!).toBeCloseTo(2, 6);
    expect(w[2]! + w[3]! + w[4]!).toBeCloseTo(3, 6);
  });

  it('gathers each table row times its entry weight', () => {
    const table = Float32Array.from({ length: 4 * 2 }, (_, k) => k + 1); // rows [1,2] [3,4] [5,6] [7,8]
    const out = new Float32Array(3 * 2);
    const weight = Float32Array.of(2, 0.5, 1, 0, 3);
    gatherSum(table, 2, csr, Int32Array.of(0, 1, 2), 3, out, Float32Array.of(10, 20), weight);
    expect([...out]).toEqual([
      10 + 2 * 3 + 0.5 * 7,
      20 + 2 * 4 + 0.5 * 8,
      10,
      20,
      10 + 1 + 3 * 7,
      20 + 2 + 3 * 8,
    ]);
  });

  it('scores as the plain generator with unit weights, differently with others, and shares its tensors', async () => {
    const rng = new Rng(4);
    const g = initGenerator(4, 3, 0, () => rng.normal());
    const plain = await GeneratorScorer.create(g, csr);
    const users = Int32Array.of(0, 2);
    const score = (s: GeneratorScorer) => {
      const out = new Float32Array(2 * 4);
      s.scoreUsers(users, out);
      return out;
    };
    const a = score(plain);
    const ones = plain.withHistoryWeight(new Float32Array(5).fill(1));
    expect(score(ones)).toEqual(a);
    const weighted = plain.withHistoryWeight(Float32Array.of(0.1, 1.9, 0.2, 0.8, 2));
    expect(score(weighted)).not.toEqual(a);
    // Disposing a derived scorer leaves the shared tensors to the plain one.
    weighted.dispose();
    expect(score(ones)).toEqual(a);
    plain.dispose();
    expect(() => plain.withHistoryWeight(new Float32Array(2))).toThrow(/fewer weights/);
  });

  it('keeps the plain condition for an item-variant generator', async () => {
    const rng = new Rng(5);
    const u = initGenerator(3, 2, 0, () => rng.normal());
    // Variant item: the vectors are the items' columns over the 3 users.
    const g: GeneratorWeights = { ...u, variant: 'item', nUsers: 3, nItems: 4 };
    const scorer = await GeneratorScorer.create(g, csr);
    expect(() => scorer.withHistoryWeight(new Float32Array(5))).toThrow(/user-variant/);
    const choice = await chooseGeneratorRecency(scorer, csr, new Int32Array(5), async () => 0.5);
    expect(choice.scorer).toBe(scorer);
    expect(choice.halfLife).toBeUndefined();
    expect(choice.figures).toEqual([{ halfLife: null, validNdcg10: 0.5 }]);
    scorer.dispose();
  });

  it('is chosen on validation, and beats the plain condition where users drift over time', async () => {
    // The synthetic users move to a second taste cluster over time: order carries signal.
    const { pre, nUsers, nItems, data } = syntheticSplits({
      users: 800,
      items: 400,
      interactions: 40_000,
      seed: 8,
      kCore: 5,
    });
    // With hidden inputs and the own-entry term, as the pipeline's generator has.
    const config: CfganConfig = { ...SMALL_CFGAN, reconstructionCoefficient: 2, inputDropout: 0.5 };
    const { generator } = await trainCfgan({ nUsers, nItems, train: data.train }, config);
    const plain = await GeneratorScorer.create(generator, data.train);
    const ranks = runSteps(recencyRankSteps(pre.train, nUsers));
    const validation = { train: data.train, valid: data.valid };
    const choice = await chooseGeneratorRecency(plain, data.train, ranks, (s) =>
      validationNdcg10(s, validation),
    );
    expect(choice.figures.map((f) => f.halfLife)).toEqual([null, 16, 8, 4, 2, 1]);
    expect(choice.halfLife).toBeGreaterThan(0);
    expect(choice.validNdcg10).toBeGreaterThan(choice.figures[0]!.validNdcg10);
    expect(choice.validNdcg10).toBe(Math.max(...choice.figures.map((f) => f.validNdcg10)));
    // The returned scorer is the one that scored the winning figure.
    expect(await validationNdcg10(choice.scorer, validation)).toBeCloseTo(choice.validNdcg10, 9);
    plain.dispose();
  }, 60_000);
});
