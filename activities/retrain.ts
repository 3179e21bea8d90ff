import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import { RETRAIN_STAGE } from '../lib/contracts/index.ts';
import type { StageInput, StageRef, Variant } from '../lib/contracts/index.ts';
import { readTrainingSetParquet } from '../lib/data/index.ts';
import { trainRecommender } from '../lib/models/index.ts';
import type { EpochLog } from '../lib/models/types.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { createCheckpointer } from './checkpoints.ts';
import { runTrainConfig, usesRecency } from './family-choice.ts';
import { catalogSize, readSplitCsrs } from './split-data.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';
import { trainingRuntime } from '../lib/compute/runtime-stats.ts';

export interface RetrainStageConfig {
  variant: Variant;
  model: PipelineConfig['model'];
  seed: number;
  /**
   * Only on the Python worker, with `model.family: auto`: the policy's family choice, which
   * that worker records in its stats as this worker records its own.
   */
  familyChoice?: unknown;
}

/** The training set file of each variant, written by the resample stage. */
export const VARIANT_FILE: Record<Variant, string> = { A: 'a.parquet', B: 'b.parquet' };

/**
 * retrainA / retrainB: the same recommender, seed and budget on real-only (A) or augmented
 * (B) data, early-stopped on the real validation split. Checkpoints every
 * `model.checkpointEvery` epochs; a retried attempt resumes from the checkpoint its last
 * heartbeat named. Identity covers only this variant's training set, so A is shared by
 * every experiment over the same real data.
 */
function retrainStage(variant: Variant): StageDefinition<RetrainStageConfig> {
  return {
    name: RETRAIN_STAGE[variant],
    source: import.meta.url,
    needs: ['preprocess', 'resample'],
    identityFiles: (c) => ({
      preprocess: ['train.parquet', 'valid.parquet'],
      resample: [VARIANT_FILE[c.variant]],
    }),
    async run(ctx) {
      const t0 = Date.now();
      const { seed } = ctx.config;
      const set = await readTrainingSetParquet(
        await ctx.inputFile('resample', VARIANT_FILE[ctx.config.variant]),
      );
      const splits = await readSplitCsrs(ctx, false, {
        recency: usesRecency(ctx.config.model, catalogSize(ctx).nItems),
      });
      const validation = {
        train: splits.train,
        valid: splits.valid,
        trainRecency: splits.trainRecency,
      };
      // family auto: one choice for A, B and the policy search, made once on the real data.
      const { train, choice, choiceReused } = await runTrainConfig(
        ctx,
        ctx.config.model,
        seed,
        splits,
      );
      const { checkpointEvery } = ctx.config.model;
      const checkpoints = createCheckpointer(ctx);
      const resume = await checkpoints.resume();
      checkpoints.heartbeat({ phase: 'training', epoch: resume?.epoch ?? 0, epochs: train.epochs });
      const result = await trainRecommender(set, validation, train, {
        checkpointEvery,
        resumeFrom: resume?.state,
        signal: ctx.signal,
        onEpoch: (log: EpochLog) =>
          checkpoints.heartbeat({ phase: 'training', epochs: train.epochs, ...log }),
        onCheckpoint: (state, epoch) => checkpoints.save(state, epoch),
      });
      ctx.heartbeat({ phase: 'saving' });
      const files = [];
      for (const f of await result.model.save()) {
        const path = join(ctx.workDir, f.name);
        await writeFile(path, f.bytes);
        files.push({ name: f.name, path });
      }
      result.model.dispose();
      files.push(await jsonOutput(ctx.workDir, 'history.json', result.history));
      const trained = result.history.filter((h) => h.epoch > (resume?.epoch ?? 0));
      const trainSeconds = trained.reduce((s, h) => s + h.seconds, 0);
      const samples = trained.reduce((s, h) => s + h.samples, 0);
      return {
        kind: 'model',
        files,
        afterPublish: () => checkpoints.clear(),
        stats: {
          variant: ctx.config.variant,
          family: train.family,
          ...(choice ? { familyChoice: choice.candidates, familyChoiceReused: choiceReused } : {}),
          backend: result.backend,
          ...trainingRuntime(result.backend),
          ...(result.kernel ? { kernel: result.kernel, optimizer: train.optimizer } : {}),
          rows: set.n,
          epochs: result.history.length,
          bestEpoch: result.bestEpoch,
          bestValidNdcg10: result.bestValidNdcg10,
          ...(result.chosen ? { chosen: result.chosen } : {}),
          stoppedEarly: result.stoppedEarly,
          resumedFromEpoch: resume?.epoch ?? 0,
          samplesPerSecond: trainSeconds > 0 ? Math.round(samples / trainSeconds) : 0,
          secondsPerEpoch: trained.length ? trainSeconds / trained.length : 0,
          seconds: (Date.now() - t0) / 1000,
          history: result.history,
        },
      };
    },
  };
}

export const retrainAStage = retrainStage('A');
export const retrainBStage = retrainStage('B');

export function retrainActivities(store: ArtifactStore) {
  return {
    retrainA: (input: StageInput<RetrainStageConfig>): Promise<StageRef> =>
      runStage(retrainAStage, input, store),
    retrainB: (input: StageInput<RetrainStageConfig>): Promise<StageRef> =>
      runStage(retrainBStage, input, store),
  };
}
