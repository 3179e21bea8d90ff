import { join } from 'node:path';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import {
  preprocess,
  readColumns,
  readInteractionsParquet,
  splitStats,
  writeItemTable,
  writeUserTable,
  writeInteractions,
} from '../lib/data/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
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
  codeVersion: '1',
  needs: ['ingest'],
  async run(ctx) {
    const t0 = Date.now();
    const table = await readInteractionsParquet(
      await ctx.inputFile('ingest', 'interactions.parquet'),
    );
    const users = await readColumns(await ctx.inputFile('ingest', 'users.parquet'), ['id']);
    const items = await readColumns(await ctx.inputFile('ingest', 'items.parquet'), [
      'id',
      'title',
      'genres',
    ]);
    const userIds = users.id as string[];
    const itemIds = items.id as string[];
    ctx.heartbeat({ phase: 'preprocessing', rows: table.n });
    const splits = preprocess(table, userIds.length, itemIds.length, {
      ...ctx.config.preprocess,
      seed: ctx.config.seed,
    });
    ctx.heartbeat({ phase: 'writing' });
    const files = [];
    for (const name of ['train', 'valid', 'test'] as const) {
      const path = join(ctx.workDir, `${name}.parquet`);
      const schema = await writeInteractions(path, splits[name]);
      files.push({ name: `${name}.parquet`, path, rows: splits[name].n, schema });
    }
    const pick = (col: string[], origin: Int32Array) => Array.from(origin, (o) => col[o]!);
    const usersOut = join(ctx.workDir, 'users.parquet');
    await writeUserTable(usersOut, pick(userIds, splits.userOrigin));
    const itemsOut = join(ctx.workDir, 'items.parquet');
    await writeItemTable(itemsOut, pick(itemIds, splits.itemOrigin), {
      title: pick(items.title as string[], splits.itemOrigin),
      genres: pick(items.genres as string[], splits.itemOrigin),
    });
    files.push({ name: 'users.parquet', path: usersOut, rows: splits.userOrigin.length });
    files.push({ name: 'items.parquet', path: itemsOut, rows: splits.itemOrigin.length });
    const seconds = (Date.now() - t0) / 1000;
    return {
      kind: 'splits',
      files,
      stats: {
        ...splitStats(splits),
        inputRows: splits.counts.input,
        positives: splits.counts.positives,
        deduped: splits.counts.deduped,
        afterKCore: splits.counts.kcore,
        kCoreRounds: splits.counts.kcoreRounds,
        rowsPerSecond: Math.round(table.n / Math.max(seconds, 1e-3)),
      },
    };
  },
};

export function preprocessActivity(store: ArtifactStore) {
  return (input: StageInput<PreprocessStageConfig>): Promise<StageRef> =>
    runStage(preprocessStage, input, store);
}
