import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import { writeTrainingSetParquet } from '../lib/data/index.ts';
import { TEACHER_WITH_HEAD } from '../lib/policy/grid.ts';
import { resample } from '../lib/sampling/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import type { PolicyDecision } from './policy.ts';
import {
  namedSynthetic,
  readResampleInput,
  readTeacherHeadRows,
  SYNTHETIC_FILES,
} from './resample-input.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface ResampleStageConfig {
  resample: PipelineConfig['resample'];
  seed: number;
}

/**
 * resample: real train rows plus the synthetic rows of the augmentation stages become
 * training set A (real only) and B (augmented), with provenance, weights and negatives,
 * and a composition report. With a policy stage's decision, B takes only the chosen sources
 * with the chosen settings. Reads only the train split: valid and test are never touched.
 */
export const resampleStage: StageDefinition<ResampleStageConfig> = {
  name: 'resample',
  source: import.meta.url,
  needs: ['preprocess'],
  /** Augmentation branches, when enabled. */
  optional: ['generateGan', 'expandLlm', 'teacher', 'policy'],
  // The synthetic rows and the policy's decision, not the summaries (which hold timings).
  identityFiles: () => ({ ...SYNTHETIC_FILES, policy: ['decision.json'] }),
  async run(ctx) {
    const t0 = Date.now();
    const decision = ctx.hasInput('policy')
      ? (JSON.parse(
          await readFile(await ctx.inputFile('policy', 'decision.json'), 'utf8'),
        ) as PolicyDecision)
      : undefined;
    const config = { ...ctx.config.resample, ...decision?.overrides };
    const read = await readResampleInput(ctx, config);
    // With a policy, B takes only the chosen sources' rows.
    const synthetic = decision
      ? namedSynthetic(
          read.synthetic,
          decision.sources,
          decision.sources.includes(TEACHER_WITH_HEAD) ? await readTeacherHeadRows(ctx) : undefined,
        )
      : read.synthetic;
    const { train, nUsers, nItems, hardCandidates } = read;
    ctx.heartbeat({ phase: 'resampling', rows: train.n });
    const { a, b, report } = resample(
      { nUsers, nItems, train, synthetic, ...(hardCandidates ? { hardCandidates } : {}) },
      config,
      ctx.config.seed,
    );
    ctx.heartbeat({ phase: 'writing' });
    const files = [];
    for (const [name, set] of [
      ['a.parquet', a],
      ['b.parquet', b],
    ] as const) {
      const path = join(ctx.workDir, name);
      const { schema } = await writeTrainingSetParquet(path, set);
      files.push({ name, path, rows: set.n, schema });
    }
    files.push(await jsonOutput(ctx.workDir, 'composition.json', report, 1));
    const syntheticRows = synthetic.reduce((s, x) => s + x.n, 0);
    const seconds = (Date.now() - t0) / 1000;
    return {
      kind: 'training-sets',
      files,
      stats: {
        rowsA: a.n,
        rowsB: b.n,
        syntheticInput: syntheticRows,
        syntheticShare: report.share.achieved,
        usersWithSynthetic: report.users.withSynthetic,
        rowsPerSecond: Math.round((train.n + syntheticRows) / Math.max(seconds, 1e-3)),
      },
    };
  },
};

export function resampleActivity(store: ArtifactStore) {
  return (input: StageInput<ResampleStageConfig>): Promise<StageRef> =>
    runStage(resampleStage, input, store);
}
