import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSteps } from '../../../lib/async/steps.ts';
import { recencyRankSteps } from '../../../lib/models/baselines/recency.ts';
import { resampleStage } from '../../../activities/resample.ts';
import { retrainAStage, retrainBStage } from '../../../activities/retrain.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import { familyCandidates, parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { FAMILY_CHOICES } from '../../../activities/family-choice.ts';
import { keepRows, nonEmptyRows } from '../../../lib/eval/csr.ts';
import {
  chooseFamily,
  familyChoiceHalves,
  realTrainingSet,
  trainConfigOf,
} from '../../../lib/models/auto-family.ts';
import type { FamilyTrainer } from '../../../lib/models/auto-family.ts';
import { EASE_MAX_ITEMS } from '../../../lib/models/ease/ease.ts';
import type { TrainResult, TrainedModel } from '../../../lib/models/types.ts';
import { validationNdcg10 } from '../../../lib/models/validation-score.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { splitsStage, syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { tempDir } from '../../helpers/tmp.ts';

const { pre, nUsers, nItems, data } = syntheticSplits({
  users: 800,
  items: 400,
  interactions: 30_000,
  seed: 4,
  kCore: 5,
});
const validation = {
  train: data.train,
  valid: data.valid,
  trainRecency: runSteps(recencyRankSteps(pre.train, nUsers)),
};
const real = realTrainingSet(pre.train, nUsers, nItems);

/** A fake model that ranks the validation items of `users` first and everyone else's last. */
function oracle(users: Int32Array, n: number): TrainedModel {
  const known = new Set(users);
  return {
    family: 'bpr',
    nUsers,
    nItems: n,
    scoreUsers(ids: Int32Array, out: Float32Array) {
      out.fill(0, 0, ids.length * n);
      ids.forEach((u, r) => {
        for (let p = data.valid.indptr[u]!; p < data.valid.indptr[u + 1]!; p++)
          out[r * n + data.valid.indices[p]!] = known.has(u) ? 1 : -1;
      });
    },
    save: () => Promise.resolve([]),
    dispose: () => undefined,
  };
}
// Short budgets keep the file fast; the choice logic does not depend on them.
const model = parsePipelineConfig({
  model: { family: 'auto', candidates: ['bpr', 'ease'], epochs: 6 },
}).model;

describe('model.family auto', () => {
  it('gives each candidate its own defaults and shares the budget', () => {
    const [bpr, ease] = familyCandidates(model);
    expect(bpr).toMatchObject({ family: 'bpr', optimizer: 'sgd', learningRate: 0.05, epochs: 6 });
    expect(ease).toMatchObject({ family: 'ease', epochs: 6 });
    expect(parsePipelineConfig({ model: { family: 'auto' } }).model.candidates).toEqual([
      'bpr',
      'ials',
      'ease',
    ]);
    expect(() => parsePipelineConfig({ model: { family: 'auto', optimizer: 'sgd' } })).toThrow(
      /family auto trains each candidate with its own optimizer/,
    );
    expect(() => trainConfigOf(model, 1)).toThrow(/resolved by chooseFamily/);
  });

  it('early-stops on the selection half and ranks on the confirmation half', async () => {
    const halves = familyChoiceHalves(validation, 1);
    // Each fake family knows one half's validation items: the one that knows the selection
    // half looks best where it was early-stopped, the other where nothing was chosen.
    const knows = { bpr: halves.selection, ials: halves.confirmation };
    const stoppedOn: Int32Array[] = [];
    const train: FamilyTrainer = async (set, v, config) => {
      stoppedOn.push(nonEmptyRows(v.valid));
      const model = oracle(knows[config.family as 'bpr' | 'ials'], set.nItems);
      const score = await validationNdcg10(model, v);
      return { model, history: [], bestEpoch: 1, bestValidNdcg10: score } as unknown as TrainResult;
    };
    const configs = (['bpr', 'ials'] as const).map((family) =>
      trainConfigOf({ ...model, family }, 1),
    );
    const choice = await chooseFamily(real, validation, configs, { train });
    for (const users of stoppedOn) expect(users).toEqual(halves.selection);
    expect(choice.candidates).toMatchObject([
      { family: 'bpr', selectionNdcg10: 1, confirmationNdcg10: 0 },
      { family: 'ials', selectionNdcg10: 0, confirmationNdcg10: 1 },
    ]);
    expect(choice.chosen.family).toBe('ials');
    expect([choice.selectionUsers, choice.confirmationUsers]).toEqual([
      halves.selection.length,
      halves.confirmation.length,
    ]);
    // The halves split the users with a validation item between them.
    expect(choice.selectionUsers + choice.confirmationUsers).toBe(nonEmptyRows(data.valid).length);
  });

  it('keeps the candidate with the best confirmation-half NDCG@10 among real families', async () => {
    const configs = familyCandidates(model).map((m) => trainConfigOf(m, 1));
    const choice = await chooseFamily(real, validation, configs);
    expect(choice.candidates.map((c) => c.family)).toEqual(['bpr', 'ease']);
    const best = choice.candidates.reduce((a, b) =>
      b.confirmationNdcg10! > a.confirmationNdcg10! ? b : a,
    );
    expect(choice.chosen.family).toBe(best.family);
    for (const c of choice.candidates) {
      expect(c.selectionNdcg10).toBeGreaterThan(0);
      expect(c.confirmationNdcg10).toBeGreaterThan(0);
    }
  });

  it('says so when the validation split is too small to leave users to rank on', async () => {
    const one = {
      train: data.train,
      valid: keepRows(data.valid, nonEmptyRows(data.valid).slice(0, 1)),
    };
    const configs = [trainConfigOf(familyCandidates(model)[1]!, 1)];
    await expect(chooseFamily(real, one, configs)).rejects.toThrow(
      /the 1 users with validation items leave no user to rank the families on/,
    );
  });

  it('leaves EASE out above its catalog limit and says why', async () => {
    const big = { ...real, nItems: EASE_MAX_ITEMS + 1 };
    const configs = [trainConfigOf(familyCandidates(model)[1]!, 1)];
    await expect(chooseFamily(big, validation, configs)).rejects.toThrow(
      /no candidate family could be trained/,
    );
  });

  it('retrainA and retrainB make the same choice, on the real train split, and say so', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const input = (inputs = {}) => ({ runId: 'r', config: { tag: 'p' }, inputs });
    const preprocess = await runStage(
      splitsStage({ train: pre.train, valid: pre.valid, test: pre.test }, { nUsers, nItems }),
      input(),
      store,
    );
    const resample = await runStage(
      resampleStage,
      {
        runId: 'r',
        config: { resample: parsePipelineConfig({}).resample, seed: 1 },
        inputs: { preprocess },
      },
      store,
    );
    const retrain = (stage: typeof retrainAStage, variant: 'A' | 'B') =>
      runStage(
        stage,
        { runId: 'r', config: { variant, model, seed: 1 }, inputs: { preprocess, resample } },
        store,
      );
    // Started together, as the workflow starts them: one searches, the other waits for it.
    const [a, b] = await Promise.all([retrain(retrainAStage, 'A'), retrain(retrainBStage, 'B')]);
    expect([a.stats.familyChoiceReused, b.stats.familyChoiceReused].sort()).toEqual([false, true]);
    expect(await store.list(FAMILY_CHOICES)).toHaveLength(1);
    expect(b.stats.familyChoice).toEqual(a.stats.familyChoice);
    expect(a.stats.family).toBe(b.stats.family);
    expect(['bpr', 'ease']).toContain(a.stats.family);
  });
});
