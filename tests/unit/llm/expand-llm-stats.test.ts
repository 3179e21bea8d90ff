/**
 * What the expandLlm stage says about its sources: the candidate model and its validation
 * NDCG@10, whether the fallback had side information (and the plain sentence when the data
 * has none), and that no candidate taken up is one of the user's train items.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandLlmStage } from '../../../activities/expand-llm.ts';
import type { ExpandLlmStageConfig } from '../../../activities/expand-llm.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { emptyItemMeta } from '../../../lib/data/table.ts';
import { readSyntheticParquet } from '../../../lib/data/index.ts';
import { csrFromCoo } from '../../../lib/eval/index.ts';
import { SIDE_WEIGHTS } from '../../../lib/llm/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { splitsStage, syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { tempDir } from '../../helpers/tmp.ts';

const store = new LocalArtifactStore(join(tempDir(), 'store'));
const { pre, nUsers, nItems } = syntheticSplits({
  users: 400,
  items: 200,
  interactions: 20_000,
  seed: 31,
  kCore: 5,
});
const { enabled: _e, ...defaults } = parsePipelineConfig({}).llm;
const config: ExpandLlmStageConfig = {
  llm: { ...defaults, users: 'all', sequence: { ...defaults.sequence, epochs: 2 } },
  seed: 6,
};

async function expand(meta: typeof pre.meta, tag: string) {
  const p = await runStage(
    splitsStage(
      { train: pre.train, valid: pre.valid, test: pre.test },
      { nUsers, nItems },
      {
        items: pre.items,
        meta,
      },
    ),
    { runId: tag, config: { tag }, inputs: {} },
    store,
  );
  const ref = await runStage(
    expandLlmStage,
    { runId: tag, config, inputs: { preprocess: p } },
    store,
  );
  const summary = JSON.parse(
    Buffer.from(await store.getBytes(`${ref.key}/expansion.json`)).toString('utf8'),
  ) as {
    candidateModel: { name: string; validNdcg10: number; tried: { validNdcg10?: number }[] };
    sideInformation: { fields: string; note: string; weight?: number };
  };
  return { ref, summary };
}

describe('expandLlm stats', () => {
  it('name the candidate model, its validation NDCG@10 and the side information used', async () => {
    const { ref, summary } = await expand(pre.meta, 'with-meta');
    expect(['EASE', 'RP3beta', 'ItemKNN']).toContain(ref.stats.candidateModel);
    expect(ref.stats.candidateValidNdcg10).toBeGreaterThan(0);
    expect(ref.stats.candidateValidNdcg10).toBeLessThanOrEqual(1);
    expect(summary.candidateModel).toMatchObject({
      name: ref.stats.candidateModel,
      validNdcg10: ref.stats.candidateValidNdcg10,
    });
    // Every model tried is listed with its validation figure; the best one proposed.
    const tried = summary.candidateModel.tried;
    expect(tried.length).toBeGreaterThanOrEqual(2);
    const best = Math.max(...tried.map((t) => t.validNdcg10 ?? -1));
    expect(ref.stats.candidateValidNdcg10).toBe(best);
    expect(ref.stats.sideInformation).toMatch(/genres/);
    expect(SIDE_WEIGHTS).toContain(ref.stats.sideInformationWeight);
    expect(ref.stats.sideInformationQuestions).toBeGreaterThan(100);
    expect(summary.sideInformation.note).not.toMatch(/no information beyond/);

    // No liked row names a train item of its user (validation does not filter candidates).
    const rows = await readSyntheticParquet(await store.getBytes(`${ref.key}/llm.parquet`));
    expect(rows.n).toBeGreaterThan(0);
    const train = csrFromCoo(pre.train.user, pre.train.item, pre.train.n, nUsers);
    for (let k = 0; k < rows.n; k++) {
      if (rows.label && rows.label[k] === 0) continue;
      const u = rows.user[k]!;
      const own = train.indices.subarray(train.indptr[u]!, train.indptr[u + 1]!);
      expect(own.includes(rows.item[k]!)).toBe(false);
    }
  }, 60_000);

  it('say plainly that a source without item metadata knows nothing beyond the interactions', async () => {
    const { ref, summary } = await expand(emptyItemMeta(nItems), 'no-meta');
    expect(ref.stats.sideInformation).toBe('none');
    expect(ref.stats.sideInformationWeight).toBeUndefined();
    expect(summary.sideInformation.fields).toBe('none');
    expect(summary.sideInformation.note).toMatch(/no information beyond the interactions/);
    expect(ref.stats.triples).toBeGreaterThan(0);
  }, 60_000);
});
