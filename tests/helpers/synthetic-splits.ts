import { join } from 'node:path';
import type { StageDefinition } from '../../activities/stage-runner.ts';
import { writeInteractionsParquet, writeItemsParquet } from '../../lib/data/index.ts';
import type { IdMap, Interactions, ItemMeta } from '../../lib/data/index.ts';

export { syntheticSplits } from '../../lib/data/synthetic-splits.ts';

/**
 * A stand-in for the preprocess stage: publishes the given splits (and, when given, the item
 * metadata) with the catalog size in its stats, as the real stage does.
 */
export function splitsStage(
  splits: Record<'train' | 'valid' | 'test', Interactions>,
  size: { nUsers: number; nItems: number },
  items?: { items: IdMap; meta: ItemMeta },
): StageDefinition<{ tag: string }> {
  return {
    name: 'preprocess',
    source: import.meta.url,
    needs: [],
    async run(ctx) {
      const files = [];
      for (const [name, t] of Object.entries(splits)) {
        const path = join(ctx.workDir, `${name}.parquet`);
        await writeInteractionsParquet(path, t);
        files.push({ name: `${name}.parquet`, path, rows: t.n });
      }
      if (items) {
        const path = join(ctx.workDir, 'items.parquet');
        await writeItemsParquet(path, items.items, items.meta);
        files.push({ name: 'items.parquet', path, rows: items.items.size });
      }
      // syntheticSplits splits leave-last-out, as the pipeline does by default.
      const stats = { users: size.nUsers, items: size.nItems, split: 'leave-last-out' };
      return { kind: 'splits', files, stats };
    },
  };
}
