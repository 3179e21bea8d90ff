import { join } from 'node:path';
import type { StageDefinition } from '../../activities/stage-runner.ts';
import {
  generateSynthetic,
  preprocess,
  writeInteractionsParquet,
  writeItemsParquet,
} from '../../lib/data/index.ts';
import type { IdMap, Interactions, ItemMeta } from '../../lib/data/index.ts';
import { csrFromCoo } from '../../lib/eval/index.ts';

/**
 * A synthetic log, preprocessed like the pipeline does (rating >= 4, k-core, leave-last-out),
 * with its splits as CSRs: the data of the model and gate tests.
 */
export function syntheticSplits(spec: {
  users: number;
  items: number;
  interactions: number;
  seed: number;
  kCore: number;
}) {
  const g = generateSynthetic(spec);
  const pre = preprocess(
    { table: g.table, users: g.users, items: g.items, meta: g.meta },
    {
      positiveThreshold: 4,
      kCore: spec.kCore,
      split: 'leave-last-out',
      ratios: { train: 0.8, valid: 0.1, test: 0.1 },
      seed: 1,
    },
  );
  const nUsers = pre.users.size;
  const nItems = pre.items.size;
  const csr = (t: Interactions) => csrFromCoo(t.user, t.item, t.n, nUsers);
  const data = {
    nUsers,
    nItems,
    train: csr(pre.train),
    valid: csr(pre.valid),
    test: csr(pre.test),
  };
  return { pre, nUsers, nItems, data };
}

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
    codeVersion: '1',
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
      return { kind: 'splits', files, stats: { users: size.nUsers, items: size.nItems } };
    },
  };
}
