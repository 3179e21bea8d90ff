import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ganTrainingUsers } from '../../../activities/gan-users.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import { trainGanStage } from '../../../activities/train-gan.ts';
import type { TrainGanStageConfig } from '../../../activities/train-gan.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { csrFromCoo, nonEmptyRows } from '../../../lib/eval/csr.ts';
import type { GanEpochLog } from '../../../lib/gan/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { splitsStage, syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { tempDir } from '../../helpers/tmp.ts';

const store = new LocalArtifactStore(join(tempDir(), 'store'));
const { pre, nUsers, nItems } = syntheticSplits({
  users: 300,
  items: 150,
  interactions: 12_000,
  seed: 3,
  kCore: 5,
});
const {
  enabled: _e,
  users: _u,
  sparseThreshold: _s,
  topK: _k,
  ...ganTrain
} = parsePipelineConfig({}).gan;
const config: TrainGanStageConfig = {
  ...ganTrain,
  generatorUnits: 16,
  discriminatorUnits: 8,
  epochs: 4,
  // Patience never ends these runs: only the epoch limit or the budget does.
  patience: 100,
  seed: 5,
};

async function trained(
  runId: string,
  budgetSeconds: number,
  maxTrainUsers = config.maxTrainUsers,
  maxTrainCells = config.maxTrainCells,
) {
  const preprocess = await runStage(
    splitsStage({ train: pre.train, valid: pre.valid, test: pre.test }, { nUsers, nItems }),
    { runId, config: { tag: 'gan-budget' }, inputs: {} },
    store,
  );
  return runStage(
    trainGanStage,
    {
      runId,
      config: { ...config, budgetSeconds, maxTrainUsers, maxTrainCells },
      inputs: { preprocess },
    },
    store,
  );
}

describe('trainGan users', () => {
  it('learns from all users up to maxTrainUsers, and from a seeded sample of that many above', async () => {
    const all = await trained('all-users', 3600);
    const users = all.stats.usersWithTrainRows as number;
    expect(all.stats.trainUsers).toBe(users);
    const few = await trained('few-users', 3600, 100);
    expect(few.stats).toMatchObject({ trainUsers: 100, usersWithTrainRows: users });
    // An epoch passes over the sampled users' vectors only.
    expect((few.stats.history as GanEpochLog[])[0]!.samples).toBe(100);
    // The users x items cap binds on a large catalog: 60 users' worth of cells here.
    const cells = await trained('few-cells', 3600, config.maxTrainUsers, 60 * nItems + 59);
    expect(cells.stats).toMatchObject({ trainUsers: 60, usersWithTrainRows: users });
    expect((all.stats.history as GanEpochLog[])[0]!.samples).toBe(users);
  }, 60_000);
});

describe('ganTrainingUsers', () => {
  const train = csrFromCoo(pre.train.user, pre.train.item, pre.train.n, nUsers);
  const valid = csrFromCoo(pre.valid.user, pre.valid.item, pre.valid.n, nUsers);
  const users = (c: typeof train) => Array.from(nonEmptyRows(c));

  it('keeps every user when there are not more than the limit', () => {
    const kept = ganTrainingUsers(train, valid, 1_000_000, 1);
    expect(kept.train).toBe(train);
    expect(kept.valid).toBe(valid);
  });

  it('samples the same users for the same seed, other users for another, in both splits', () => {
    const a = ganTrainingUsers(train, valid, 50, 1);
    const b = ganTrainingUsers(train, valid, 50, 1);
    const c = ganTrainingUsers(train, valid, 50, 2);
    expect(users(a.train)).toHaveLength(50);
    expect(users(a.train)).toEqual(users(b.train));
    expect(users(a.train)).not.toEqual(users(c.train));
    // Validation keeps only sampled users' rows, unchanged.
    const sampled = new Set(users(a.train));
    for (const u of users(a.valid)) expect(sampled.has(u)).toBe(true);
    const u0 = users(a.train)[0]!;
    expect(a.train.indices.subarray(a.train.indptr[u0], a.train.indptr[u0 + 1])).toEqual(
      train.indices.subarray(train.indptr[u0], train.indptr[u0 + 1]),
    );
  });
});

describe('trainGan seconds budget', () => {
  it('stops between epochs once spent, keeps the best generator so far and says so', async () => {
    // Any epoch takes longer than a millisecond: the budget ends training after the first.
    const cut = await trained('cut', 0.001);
    expect(cut.stats.epochs).toBe(1);
    expect(cut.stats.stoppedOnBudget).toBe(true);
    expect(cut.stats.stoppedEarly).toBe(true);
    expect(cut.stats.budgetSeconds).toBe(0.001);
    expect(cut.stats.bestEpoch).toBe(1);
    expect(cut.outputs['generator.bin']).toBeDefined();

    const whole = await trained('whole', 3600);
    expect(whole.stats.epochs).toBe(4);
    expect(whole.stats.stoppedOnBudget).toBe(false);
    expect(whole.stats.stoppedEarly).toBe(false);
    // The budget is part of the stage's identity: another budget is another output.
    expect(whole.key).not.toBe(cut.key);
    // The cut run's one epoch is the whole run's first: the budget stops, it does not change.
    const first = (h: unknown) => (h as GanEpochLog[])[0]!;
    expect(first(cut.stats.history).dLoss).toBe(first(whole.stats.history).dLoss);
    expect(first(cut.stats.history).validNdcg10).toBe(first(whole.stats.history).validNdcg10);
  }, 60_000);
});
