import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateGanStage } from '../../../activities/generate-gan.ts';
import { policyStage } from '../../../activities/policy.ts';
import type { PolicySearchResult } from '../../../lib/policy/index.ts';
import { resampleStage } from '../../../activities/resample.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import type { StageDefinition } from '../../../activities/stage-runner.ts';
import { trainGanStage } from '../../../activities/train-gan.ts';
import type { TrainGanStageConfig } from '../../../activities/train-gan.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import type { StageRef } from '../../../lib/contracts/index.ts';
import { readSyntheticParquet, readTrainingSetParquet } from '../../../lib/data/index.ts';
import type { Interactions } from '../../../lib/data/index.ts';
import { SOURCE } from '../../../lib/sampling/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { splitsStage, syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { readJsonOutput } from '../../helpers/stage-output.ts';
import { tempDir } from '../../helpers/tmp.ts';

const store = new LocalArtifactStore(join(tempDir(), 'store'));
const { pre, nUsers, nItems } = syntheticSplits({
  users: 500,
  items: 250,
  interactions: 25_000,
  seed: 11,
  kCore: 5,
});
const {
  enabled: _e,
  users: _u,
  sparseThreshold,
  topK: _k,
  oneStepBack: _b,
  ...ganTrain
} = parsePipelineConfig({}).gan;
const trainConfig: TrainGanStageConfig = {
  ...ganTrain,
  generatorUnits: 32,
  discriminatorUnits: 16,
  epochs: 3,
  // All three epochs run: the tests count them.
  patience: 10,
  seed: 5,
};

function head(t: Interactions, n: number): Interactions {
  return { n, user: t.user.slice(0, n), item: t.item.slice(0, n), rating: t.rating, ts: t.ts };
}

async function preprocessed(tag: string, valid = pre.valid, test = pre.test): Promise<StageRef> {
  return runStage(
    splitsStage({ train: pre.train, valid, test }, { nUsers, nItems }),
    { runId: tag, config: { tag }, inputs: {} },
    store,
  );
}

/** preprocess -> trainGan -> generateGan for every user, with the source gate on or off. */
async function generated(
  tag: string,
  gate: boolean,
  maxUsers?: number,
  recency?: 'auto' | 'none',
  oneStepBack = false,
  variant: 'user' | 'item' = 'user',
) {
  const preprocess = await preprocessed(tag);
  const trainGan = await runStage(
    trainGanStage,
    { runId: tag, config: { ...trainConfig, variant }, inputs: { preprocess } },
    store,
  );
  const generateGan = await runStage(
    generateGanStage,
    {
      runId: tag,
      config: {
        users: 'all',
        sparseThreshold,
        topK: 2,
        gate,
        seed: 5,
        maxUsers,
        recency,
        oneStepBack,
      },
      inputs: { preprocess, trainGan },
    },
    store,
  );
  return { preprocess, generateGan };
}

/** A synthetic-rows file generateGan wrote. */
const ganRows = (ref: StageRef, name = 'gan.parquet') =>
  store.getBytes(`${ref.key}/${name}`).then(readSyntheticParquet);

describe('GAN stages', () => {
  it('train on the train split and stop on the valid split: another test split leaves the GAN cached', async () => {
    const p1 = await preprocessed('r1');
    const p2 = await preprocessed('r2', pre.valid, head(pre.test, 50));
    const p3 = await preprocessed('r2v', head(pre.valid, 100), pre.test);
    expect(p2.key).not.toBe(p1.key);
    const train = (runId: string, preprocess: StageRef) =>
      runStage(trainGanStage, { runId, config: trainConfig, inputs: { preprocess } }, store);
    const g1 = await train('r1', p1);
    const g2 = await train('r2', p2);
    const g3 = await train('r2v', p3);
    expect(g1.status).toBe('done');
    expect(g2.status).toBe('cached');
    expect(g2.key).toBe(g1.key);
    // The valid split chooses the generator's epoch: another one retrains.
    expect(g3.status).toBe('done');
    expect(g3.key).not.toBe(g1.key);
    expect(g1.stats.epochs).toBe(3);
    expect(g1.stats.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(g1.stats.bestValidNdcg10).toBeGreaterThan(0);
    expect(Object.keys(g1.outputs).sort()).toEqual(['generator.bin', 'history.json']);
  }, 60_000);

  it('refuse to read the test split', async () => {
    const p = await preprocessed('r3');
    const peeking: StageDefinition<TrainGanStageConfig> = {
      ...trainGanStage,
      async run(ctx) {
        await ctx.inputFile('preprocess', 'test.parquet');
        throw new Error('unreachable: the read should have failed');
      },
    };
    await expect(
      runStage(
        peeking,
        { runId: 'r3', config: { ...trainConfig, seed: 99 }, inputs: { preprocess: p } },
        store,
      ),
    ).rejects.toThrow(
      'stage trainGan may not read preprocess/test.parquet (only train.parquet, valid.parquet)',
    );
  });

  it('generate scored positives that resample puts into B, never into A', async () => {
    const { preprocess, generateGan } = await generated('r4', false);
    expect(generateGan.stats.gate).toBe('off');
    const gan = await ganRows(generateGan);
    expect(gan.source).toBe('gan');
    expect(gan.n).toBe(generateGan.stats.rows);
    expect(gan.n).toBe(2 * (generateGan.stats.users as number));
    for (const key of ['generatorValidNdcg10', 'popularityJsDistance', 'coverage', 'novelty'])
      expect(Number.isFinite(generateGan.stats[key])).toBe(true);

    const resampleConfig = { resample: parsePipelineConfig({}).resample, seed: 5 };
    const plain = await runStage(
      resampleStage,
      { runId: 'r4', config: resampleConfig, inputs: { preprocess } },
      store,
    );
    const withGan = await runStage(
      resampleStage,
      { runId: 'r4', config: resampleConfig, inputs: { preprocess, generateGan } },
      store,
    );
    expect(withGan.key).not.toBe(plain.key);
    expect(withGan.stats.syntheticInput).toBe(gan.n);
    const b = await readTrainingSetParquet(await store.getBytes(`${withGan.key}/b.parquet`));
    const a = await readTrainingSetParquet(await store.getBytes(`${withGan.key}/a.parquet`));
    expect(b.source.filter((s) => s === SOURCE.gan).length).toBeGreaterThan(0);
    expect(a.source.filter((s) => s === SOURCE.gan).length).toBe(0);

    // Each row carries a base-model plausibility, so LLMRec-style pruning works on GAN rows.
    expect(gan.plausibility).toHaveLength(gan.n);
    expect(gan.plausibility!.every(Number.isFinite)).toBe(true);
    const pruned = await runStage(
      resampleStage,
      {
        runId: 'r4',
        config: { resample: { ...resampleConfig.resample, dropRate: 0.3 }, seed: 5 },
        inputs: { preprocess, generateGan },
      },
      store,
    );
    const composition = await readJsonOutput<{ drops: { gan: { pruned: number } } }>(
      store,
      pruned,
      'composition.json',
    );
    expect(composition.drops.gan.pruned).toBeGreaterThan(0);
  }, 60_000);

  it('the source gate emits rows only when the generator beats the strongest baseline on the users it would augment', async () => {
    const { generateGan } = await generated('r6', true);
    const s = generateGan.stats;
    const better = (s.gateGeneratorValidNdcg10 as number) > (s.gateBaselineValidNdcg10 as number);
    expect(s.gate).toBe(better ? 'open' : 'closed');
    expect(s.gateUsers).toBeGreaterThan(0);
    const gan = await ganRows(generateGan);
    expect(gan.n).toBe(s.rows);
    if (better) expect(gan.n).toBeGreaterThan(0);
    else {
      expect(gan.n).toBe(0);
      expect(s.gateReason).toMatch(
        /^no rows: the generator is not better than (ease|rp3beta|itemknn)/,
      );
    }
  });

  it('with recency auto, conditions the generator on the history weighting chosen on validation', async () => {
    const plainRun = (await generated('r8', false)).generateGan;
    const plain = plainRun.stats;
    const { generateGan } = await generated('r8', false, undefined, 'auto');
    const s = generateGan.stats;
    const figures = s.generatorRecency as { halfLife: number | null; validNdcg10: number }[];
    expect(figures.map((f) => f.halfLife)).toEqual([null, 16, 8, 4, 2, 1]);
    // The plain condition's figure is the one recency none reports, for the same generator.
    expect(figures[0]!.validNdcg10).toBeCloseTo(plain.generatorValidNdcg10 as number, 9);
    expect(plain.generatorHalfLife).toBeUndefined();
    // The best figure wins (the plain condition on ties), and it is the one reported.
    const best = figures.reduce((a, b) => (b.validNdcg10 > a.validNdcg10 ? b : a));
    expect(s.generatorHalfLife).toBe(best.halfLife);
    expect(s.generatorValidNdcg10).toBe(best.validNdcg10);
    // These synthetic users drift over time: a weighted condition wins, and other rows come.
    expect(best.halfLife).not.toBeNull();
    const plainRows = await ganRows(plainRun);
    expect((await ganRows(generateGan)).item).not.toEqual(plainRows.item);
  });

  it('one step back, generates for the same users from their histories without the latest train row, which the policy scores the GAN with', async () => {
    const { preprocess, generateGan } = await generated('r9', false, undefined, 'auto', true);
    const s = generateGan.stats;
    const real = await ganRows(generateGan);
    const back = await ganRows(generateGan, 'gan-back.parquet');
    expect(s.oneStepBackRows).toBe(back.n);
    expect(back.source).toBe('gan');
    expect(back.plausibility).toHaveLength(back.n);
    expect(new Set(back.user)).toEqual(new Set(real.user));
    expect(back.item).not.toEqual(real.item);
    // Off: no back rows, and the stats say why.
    const off = (await generated('r9', false, undefined, 'auto', false)).generateGan;
    expect(off.stats.oneStepBackSkipped).toBe('off');
    expect(off.stats.rows).toBe(real.n);

    // The policy trains the GAN's candidates on the back rows: same A, other candidate figures.
    const base = parsePipelineConfig({
      model: { family: 'ials', factors: 8, epochs: 2 },
      augmentation: { perUser: [2], weights: [0.5], users: [1] },
    });
    const policyOf = async (gan: StageRef) => {
      const ref = await runStage(
        policyStage,
        {
          runId: 'r9',
          config: {
            augmentation: base.augmentation,
            resample: base.resample,
            model: base.model,
            segments: { sparseFraction: 0.25, tailFraction: 0.8, maxDrop: 0.05 },
            seed: 5,
          },
          inputs: { preprocess, generateGan: gan },
        },
        store,
      );
      const result = await readJsonOutput<PolicySearchResult & { ganOneStepBack?: boolean }>(
        store,
        ref,
        'candidates.json',
      );
      return { stats: ref.stats, result };
    };
    const scoredBack = await policyOf(generateGan);
    const scoredReal = await policyOf(off);
    expect(scoredBack.stats.ganScoredOneStepBack).toBe(true);
    expect(scoredBack.result.ganOneStepBack).toBe(true);
    expect(scoredReal.stats.ganScoredOneStepBack).toBeUndefined();
    expect(scoredBack.result.a).toEqual(scoredReal.result.a);
    expect(scoredBack.result.candidates[0]!.label).toBe('gan k2 w0.5');
    expect(scoredBack.result.candidates[0]!.valid).not.toEqual(
      scoredReal.result.candidates[0]!.valid,
    );
  }, 120_000);

  it('one step back with the item variant: its score matrix is rebuilt from the shorter histories', async () => {
    const { generateGan } = await generated('r10', false, undefined, 'auto', true, 'item');
    const real = await ganRows(generateGan);
    const back = await ganRows(generateGan, 'gan-back.parquet');
    expect(generateGan.stats.oneStepBackRows).toBe(back.n);
    expect(new Set(back.user)).toEqual(new Set(real.user));
    expect(back.item).not.toEqual(real.item);
  });

  it('augments at most maxUsers users, the sparsest of those selected', async () => {
    const { generateGan } = await generated('r7', false, 40);
    const s = generateGan.stats;
    expect(s.users).toBe(40);
    expect(s.usersSelected as number).toBeGreaterThan(40);
    const gan = await ganRows(generateGan);
    const trainRows = new Map<number, number>();
    for (let k = 0; k < pre.train.n; k++)
      trainRows.set(pre.train.user[k]!, (trainRows.get(pre.train.user[k]!) ?? 0) + 1);
    const augmented = new Set(gan.user);
    expect(augmented.size).toBe(40);
    // Nobody left out has fewer train rows than someone augmented.
    const most = Math.max(...[...augmented].map((u) => trainRows.get(u)!));
    for (const [u, n] of trainRows) if (!augmented.has(u)) expect(n).toBeGreaterThanOrEqual(most);
  });
});
