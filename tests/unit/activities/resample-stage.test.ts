import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resampleStage } from '../../../activities/resample.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { readTrainingSetParquet } from '../../../lib/data/index.ts';
import { csrFromCoo } from '../../../lib/eval/index.ts';
import { topNewItemsCsr } from '../../../lib/models/baselines/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { splitsStage, syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { tempDir } from '../../helpers/tmp.ts';

const store = new LocalArtifactStore(join(tempDir(), 'store'));
const { pre, nUsers, nItems } = syntheticSplits({
  users: 400,
  items: 300,
  interactions: 20_000,
  seed: 21,
  kCore: 5,
});

describe('resample stage', () => {
  it('negatives.strategy hard draws from each user’s item-kNN top list, never a positive', async () => {
    const preprocess = await runStage(
      splitsStage({ train: pre.train, valid: pre.valid, test: pre.test }, { nUsers, nItems }),
      { runId: 'p', config: { tag: 'p' }, inputs: {} },
      store,
    );
    const hardPool = 20;
    const resample = parsePipelineConfig({
      resample: { negatives: { strategy: 'hard', perPositive: 1, hardPool } },
    }).resample;
    const ref = await runStage(
      resampleStage,
      { runId: 'r', config: { resample, seed: 3 }, inputs: { preprocess } },
      store,
    );
    const a = await readTrainingSetParquet(await store.getBytes(`${ref.key}/a.parquet`));
    const train = csrFromCoo(pre.train.user, pre.train.item, pre.train.n, nUsers);
    const pool = topNewItemsCsr(train, nItems, hardPool);
    let negatives = 0;
    for (let k = 0; k < a.n; k++) {
      if (a.label[k] !== 0) continue;
      negatives++;
      const u = a.user[k]!;
      const own = train.indices.subarray(train.indptr[u]!, train.indptr[u + 1]!);
      const top = pool.indices.subarray(pool.indptr[u]!, pool.indptr[u + 1]!);
      expect(own.includes(a.item[k]!)).toBe(false);
      expect(top.includes(a.item[k]!), `user ${u} item ${a.item[k]}`).toBe(true);
    }
    // One negative per positive (every user here has more than 20 unseen items).
    expect(negatives).toBe(a.n - negatives);
  });
});
