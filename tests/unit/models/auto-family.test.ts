import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resampleStage } from '../../../activities/resample.ts';
import { retrainAStage, retrainBStage } from '../../../activities/retrain.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import { familyCandidates, parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { chooseFamily, realTrainingSet, trainConfigOf } from '../../../lib/models/auto-family.ts';
import { EASE_MAX_ITEMS } from '../../../lib/models/ease/ease.ts';
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
const validation = { train: data.train, valid: data.valid };
const real = realTrainingSet(pre.train, nUsers, nItems);
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

  it('keeps the candidate with the best validation NDCG@10', async () => {
    const configs = familyCandidates(model).map((m) => trainConfigOf(m, 1));
    const choice = await chooseFamily(real, validation, configs);
    expect(choice.candidates.map((c) => c.family)).toEqual(['bpr', 'ease']);
    const best = choice.candidates.reduce((a, b) => (b.validNdcg10! > a.validNdcg10! ? b : a));
    expect(choice.chosen.family).toBe(best.family);
    for (const c of choice.candidates) expect(c.validNdcg10).toBeGreaterThan(0);
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
    const [a, b] = [await retrain(retrainAStage, 'A'), await retrain(retrainBStage, 'B')];
    const scores = (r: typeof a) =>
      (r.stats.familyChoice as { family: string; validNdcg10: number }[]).map((c) => [
        c.family,
        c.validNdcg10,
      ]);
    expect(scores(a)).toEqual(scores(b));
    expect(a.stats.family).toBe(b.stats.family);
    expect(['bpr', 'ease']).toContain(a.stats.family);
  });
});
