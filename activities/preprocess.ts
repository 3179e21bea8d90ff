import { join } from 'node:path';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import {
  checkPreprocessed,
  preprocess,
  readInteractionsParquet,
  readItemsParquet,
  readUsersParquet,
  writeInteractionsParquet,
  writeItemsParquet,
  writeUsersParquet,
} from '../lib/data/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { takeIngested } from './local-handoff.ts';
import { runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface PreprocessStageConfig {
  preprocess: PipelineConfig['preprocess'];
  seed: number;
}

/**
 * preprocess: positives, dedupe, k-core, dense re-index, split. Writes train/valid/test
 * (written once here, never changed later) and the ID maps with item metadata.
 */
export const preprocessStage: StageDefinition<PreprocessStageConfig> = {
  name: 'preprocess',
  // 2: items.parquet also carries year and text.
  source: import.meta.url,
  needs: ['ingest'],
  async run(ctx) {
    const t0 = Date.now();
    // Straight from this worker's ingest when it just ran here; else from its files.
    const local = takeIngested(ctx.inputManifest('ingest').key);
    const { table, users, items, meta } = local ?? {
      table: await readInteractionsParquet(await ctx.inputFile('ingest', 'interactions.parquet')),
      users: await readUsersParquet(await ctx.inputFile('ingest', 'users.parquet')),
      ...(await readItemsParquet(await ctx.inputFile('ingest', 'items.parquet'))),
    };
    ctx.heartbeat({ phase: 'preprocessing', rows: table.n });
    // preprocess re-indexes and returns the ID maps and metadata aligned to the new indices.
    const splits = preprocess(
      { table, users, items, meta },
      { ...ctx.config.preprocess, seed: ctx.config.seed },
    );
    // Before anything is written: an empty split fails here, naming the setting.
    checkPreprocessed(splits, ctx.config.preprocess);
    ctx.heartbeat({ phase: 'writing' });
    // All five at once: one file's pages compress on the thread pool while the next encodes.
    const splitFiles = (['train', 'valid', 'test'] as const).map(async (name) => {
      const path = join(ctx.workDir, `${name}.parquet`);
      const { schema, sha256 } = await writeInteractionsParquet(path, splits[name]);
      return { name: `${name}.parquet`, path, rows: splits[name].n, schema, sha256 };
    });
    const usersOut = join(ctx.workDir, 'users.parquet');
    const itemsOut = join(ctx.workDir, 'items.parquet');
    const files = await Promise.all([
      ...splitFiles,
      writeUsersParquet(usersOut, splits.users).then((w) => ({
        name: 'users.parquet',
        path: usersOut,
        rows: splits.users.size,
        sha256: w.sha256,
      })),
      writeItemsParquet(itemsOut, splits.items, splits.meta).then((w) => ({
        name: 'items.parquet',
        path: itemsOut,
        rows: splits.items.size,
        sha256: w.sha256,
      })),
    ]);
    const seconds = (Date.now() - t0) / 1000;
    return {
      kind: 'splits',
      files,
      stats: {
        // First, so the run's summary line shows it: without timestamps "latest" is file order.
        order: splits.order,
        ...splits.stats,
        inputRows: splits.counts.input,
        positives: splits.counts.positives,
        deduped: splits.counts.afterDedupe,
        afterKCore: splits.counts.afterKCore,
        kCoreRounds: splits.counts.kCoreRounds,
        // Which split made valid and test (the teacher proposes one step back on leave-last-out).
        split: ctx.config.preprocess.split,
        rowsPerSecond: Math.round(table.n / Math.max(seconds, 1e-3)),
      },
    };
  },
};

export function preprocessActivity(store: ArtifactStore) {
  return (input: StageInput<PreprocessStageConfig>): Promise<StageRef> =>
    runStage(preprocessStage, input, store);
}
