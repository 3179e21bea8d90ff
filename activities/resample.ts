import { join } from 'node:path';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import {
  readInteractionsParquet,
  readSyntheticParquet,
  writeTrainingSetParquet,
} from '../lib/data/index.ts';
import { csrFromCoo } from '../lib/eval/csr.ts';
import { topNewItemsCsrAsync } from '../lib/models/baselines/index.ts';
import { resample } from '../lib/sampling/index.ts';
import type { SyntheticSource } from '../lib/sampling/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { catalogSize } from './split-data.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface ResampleStageConfig {
  resample: PipelineConfig['resample'];
  seed: number;
}

/**
 * resample: real train rows plus the synthetic rows of the augmentation stages become
 * training set A (real only) and B (augmented), with provenance, weights and negatives,
 * and a composition report. Reads only the train split: valid and test are never touched.
 */
export const resampleStage: StageDefinition<ResampleStageConfig> = {
  name: 'resample',
  source: import.meta.url,
  needs: ['preprocess'],
  /** Augmentation branches, when enabled. */
  optional: ['generateGan', 'expandLlm'],
  // The synthetic rows, not the branches' summaries (which hold timings).
  identityFiles: () => ({ generateGan: ['gan.parquet'], expandLlm: ['llm.parquet'] }),
  async run(ctx) {
    const t0 = Date.now();
    const { nUsers, nItems } = catalogSize(ctx);
    const train = await readInteractionsParquet(await ctx.inputFile('preprocess', 'train.parquet'));
    const synthetic: SyntheticSource[] = [];
    if (ctx.hasInput('generateGan'))
      synthetic.push(await readSyntheticParquet(await ctx.inputFile('generateGan', 'gan.parquet')));
    if (ctx.hasInput('expandLlm'))
      synthetic.push(await readSyntheticParquet(await ctx.inputFile('expandLlm', 'llm.parquet')));
    const neg = ctx.config.resample.negatives;
    // Hard negatives: items a quick base model (item kNN on the train split) ranks high.
    let hardCandidates;
    if (neg.strategy === 'hard' && neg.perPositive > 0) {
      ctx.heartbeat({ phase: 'ranking hard-negative candidates' });
      const trainCsr = csrFromCoo(train.user, train.item, train.n, nUsers);
      hardCandidates = await topNewItemsCsrAsync(trainCsr, nItems, neg.hardPool);
    }
    ctx.heartbeat({ phase: 'resampling', rows: train.n });
    const { a, b, report } = resample(
      { nUsers, nItems, train, synthetic, ...(hardCandidates ? { hardCandidates } : {}) },
      ctx.config.resample,
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
