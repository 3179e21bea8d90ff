import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import { saveGenerator, trainCfgan } from '../lib/gan/index.ts';
import type { GanEpochLog } from '../lib/gan/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { createCheckpointer } from './checkpoints.ts';
import { catalogSize, readSplitCsr } from './split-data.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';
import { trainingRuntime } from '../lib/compute/runtime-stats.ts';

/** The GAN's training hyper-parameters: the gan section minus generation settings. */
export type TrainGanStageConfig = Omit<
  PipelineConfig['gan'],
  'enabled' | 'users' | 'sparseThreshold' | 'topK' | 'gate'
> & { seed: number };

/** The GAN learns from the real train split; the valid split scores it (early stopping). */
export const GAN_READS = { preprocess: ['train.parquet', 'valid.parquet'] };

/**
 * trainGan: CFGAN on the real train split, the generator kept at its best validation
 * NDCG@10 (early stopping). Heartbeats every epoch (losses), checkpoints every
 * `checkpointEvery` epochs; a retried attempt resumes from the checkpoint its last
 * heartbeat named and, being seeded per epoch, ends with the same generator.
 */
export const trainGanStage: StageDefinition<TrainGanStageConfig> = {
  name: 'trainGan',
  source: import.meta.url,
  needs: ['preprocess'],
  reads: GAN_READS,
  identityFiles: () => GAN_READS,
  async run(ctx) {
    const t0 = Date.now();
    const { checkpointEvery, ...config } = ctx.config;
    const { nUsers, nItems } = catalogSize(ctx);
    const train = await readSplitCsr(ctx, 'train');
    const valid = await readSplitCsr(ctx, 'valid');
    const checkpoints = createCheckpointer(ctx);
    const resume = await checkpoints.resume();
    checkpoints.heartbeat({ phase: 'training', epoch: resume?.epoch ?? 0, epochs: config.epochs });
    const result = await trainCfgan({ nUsers, nItems, train, valid }, config, {
      checkpointEvery,
      resumeFrom: resume?.state,
      signal: ctx.signal,
      onEpoch: (log: GanEpochLog) =>
        checkpoints.heartbeat({ phase: 'training', epochs: config.epochs, ...log }),
      onCheckpoint: (state, epoch) => checkpoints.save(state, epoch),
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
        epochs: result.history.length,
        bestEpoch: result.bestEpoch,
        bestValidNdcg10: result.bestValidNdcg10,
        stoppedEarly: result.stoppedEarly,
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
