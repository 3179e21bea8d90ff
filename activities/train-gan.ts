import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import { saveGenerator, trainCfgan } from '../lib/gan/index.ts';
import type { GanEpochLog } from '../lib/gan/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { createCheckpointer } from './checkpoints.ts';
import { ganTrainingUsers } from './gan-users.ts';
import { catalogSize, readSplitCsr } from './split-data.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';
import { trainingRuntime } from '../lib/compute/runtime-stats.ts';
import { spentByEarlierAttempt, trainingBudget } from '../lib/training/budget.ts';

/** The GAN's training hyper-parameters: the gan section minus generation settings. */
export type TrainGanStageConfig = Omit<
  PipelineConfig['gan'],
  'enabled' | 'users' | 'sparseThreshold' | 'topK' | 'gate' | 'maxUsers' | 'recency' | 'oneStepBack'
> & { seed: number };

/** The GAN learns from the real train split; the valid split scores it (early stopping). */
export const GAN_READS = { preprocess: ['train.parquet', 'valid.parquet'] };

/**
 * trainGan: CFGAN on the real train split (at most `maxTrainUsers` users of it, see
 * gan-users.ts), the generator kept at its best validation NDCG@10 (early stopping), within
 * `budgetSeconds` of training (checked between epochs).
 * Heartbeats every epoch (losses, seconds spent), checkpoints every `checkpointEvery`
 * epochs; a retried attempt resumes from the checkpoint its last heartbeat named with the
 * seconds already spent counted against the budget and, being seeded per epoch, ends with
 * the same generator unless the budget cuts it.
 */
export const trainGanStage: StageDefinition<TrainGanStageConfig> = {
  name: 'trainGan',
  source: import.meta.url,
  needs: ['preprocess'],
  reads: GAN_READS,
  identityFiles: () => GAN_READS,
  async run(ctx) {
    const t0 = Date.now();
    const { checkpointEvery, budgetSeconds, maxTrainUsers, maxTrainCells, ...config } = ctx.config;
    const { nUsers, nItems } = catalogSize(ctx);
    const split = {
      train: await readSplitCsr(ctx, 'train'),
      valid: await readSplitCsr(ctx, 'valid'),
    };
    // Variant item learns each item's vector over all users: it has no users to sample.
    const sampled =
      config.variant === 'user'
        ? ganTrainingUsers(
            split.train,
            split.valid,
            Math.min(maxTrainUsers, Math.max(1, Math.floor((maxTrainCells ?? Infinity) / nItems))),
            config.seed,
          )
        : undefined;
    const { train, valid } = sampled ?? split;
    const checkpoints = createCheckpointer(ctx);
    const resume = await checkpoints.resume();
    // Only a resumed attempt inherits the seconds spent: one that starts over trains anew.
    const budget = trainingBudget(budgetSeconds, {
      alreadySpent: resume ? spentByEarlierAttempt(ctx.previousHeartbeat) : 0,
    });
    checkpoints.heartbeat({ phase: 'training', epoch: resume?.epoch ?? 0, epochs: config.epochs });
    const result = await trainCfgan({ nUsers, nItems, train, valid }, config, {
      checkpointEvery,
      resumeFrom: resume?.state,
      signal: ctx.signal,
      shouldStop: budget.shouldStop,
      onEpoch: (log: GanEpochLog) => {
        budget.epochDone();
        checkpoints.heartbeat({
          phase: 'training',
          epochs: config.epochs,
          trainingSeconds: budget.spentSeconds(),
          ...log,
        });
      },
      onCheckpoint: async (state, epoch) => {
        await checkpoints.save(state, epoch);
        // The save's heartbeat names the checkpoint only: a retry also needs the seconds.
        checkpoints.heartbeat({ phase: 'checkpointed', trainingSeconds: budget.spentSeconds() });
      },
    });
    ctx.heartbeat({ phase: 'saving' });
    const path = join(ctx.workDir, 'generator.bin');
    await writeFile(path, saveGenerator(result.generator));
    const files = [
      { name: 'generator.bin', path },
      await jsonOutput(ctx.workDir, 'history.json', result.history),
    ];
    const trained = result.history.filter((h) => h.epoch > (resume?.epoch ?? 0));
    const trainSeconds = trained.reduce((s, h) => s + h.seconds, 0);
    const last = result.history.at(-1);
    return {
      kind: 'gan-model',
      files,
      afterPublish: () => checkpoints.clear(),
      stats: {
        backend: result.backend,
        ...trainingRuntime(result.backend),
        variant: config.variant,
        ...(sampled ? { trainUsers: sampled.users, usersWithTrainRows: sampled.of } : {}),
        epochs: result.history.length,
        bestEpoch: result.bestEpoch,
        bestValidNdcg10: result.bestValidNdcg10,
        // stoppedEarly: before gan.epochs, by patience or by the budget (then stoppedOnBudget).
        stoppedEarly: result.stoppedEarly,
        stoppedOnBudget: budget.stopped,
        budgetSeconds,
        resumedFromEpoch: resume?.epoch ?? 0,
        dLoss: last?.dLoss,
        gLoss: last?.gLoss,
        dReal: last?.dReal,
        dFake: last?.dFake,
        samplesPerSecond:
          trainSeconds > 0
            ? Math.round(trained.reduce((s, h) => s + h.samples, 0) / trainSeconds)
            : 0,
        secondsPerEpoch: trained.length ? trainSeconds / trained.length : 0,
        seconds: (Date.now() - t0) / 1000,
        history: result.history,
      },
    };
  },
};

export function trainGanActivity(store: ArtifactStore) {
  return (input: StageInput<TrainGanStageConfig>): Promise<StageRef> =>
    runStage(trainGanStage, input, store);
}
