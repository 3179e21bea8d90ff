import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FAMILY_CHOICES,
  familyChoiceKey,
  runTrainConfig,
  usesRecency,
} from '../../../activities/family-choice.ts';
import { familyCandidates, parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { writeInteractionsParquet } from '../../../lib/data/index.ts';
import { EASE_MAX_ITEMS } from '../../../lib/models/ease/ease.ts';
import { trainConfigOf } from '../../../lib/models/auto-family.ts';
import { LocalArtifactStore, joinKey } from '../../../lib/store/index.ts';
import type { StageManifest } from '../../../lib/store/index.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { tempDir } from '../../helpers/tmp.ts';

const { pre, nUsers, nItems, data } = syntheticSplits({
  users: 400,
  items: 200,
  interactions: 20_000,
  seed: 4,
  kCore: 5,
});
const splits = { nUsers, nItems, train: data.train, valid: data.valid };
const model = parsePipelineConfig({
  model: { family: 'auto', candidates: ['ials', 'ease'], epochs: 3 },
}).model;
const trainPath = join(tempDir(), 'train.parquet');
await writeInteractionsParquet(trainPath, pre.train);

/** What the shared choice reads of a stage; `tried` collects the families it trained. */
function stage(store: LocalArtifactStore, tried: string[] = [], trainSha = 'train-sha') {
  const manifest = {
    files: [
      { name: 'train.parquet', sha256: trainSha },
      { name: 'valid.parquet', sha256: 'valid-sha' },
    ],
  } as unknown as StageManifest;
  return {
    inputManifest: () => manifest,
    inputFile: () => Promise.resolve(trainPath),
    heartbeat: (d?: Record<string, unknown>) => {
      const phase = String(d?.phase);
      if (phase.startsWith('trying family ')) tried.push(phase.slice('trying family '.length));
    },
    store,
    signal: new AbortController().signal,
  };
}

const configs = (seed: number, m = model) => familyCandidates(m).map((c) => trainConfigOf(c, seed));

describe('the family of model.family auto, chosen once per run', () => {
  it('is searched by the first stage and read by the next, with the same choice', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const tried: string[] = [];
    const first = await runTrainConfig(stage(store, tried), model, 1, splits);
    expect(first.choiceReused).toBe(false);
    expect(tried).toEqual(['ials', 'ease']);
    expect(await store.list(FAMILY_CHOICES)).toHaveLength(1);

    const second = await runTrainConfig(stage(store, tried), model, 1, splits);
    expect(second.choiceReused).toBe(true);
    expect(tried).toEqual(['ials', 'ease']);
    expect(second.train).toEqual(first.train);
    expect(second.choice).toEqual(first.choice);
  }, 60_000);

  it('is searched once when two stages of one process ask at the same time', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const tried: string[] = [];
    const [a, b] = await Promise.all(
      [0, 1].map(() => runTrainConfig(stage(store, tried), model, 1, splits)),
    );
    expect([a!.choiceReused, b!.choiceReused]).toEqual([false, true]);
    expect(tried).toEqual(['ials', 'ease']);
    expect(b!.choice).toEqual(a!.choice);
  }, 60_000);

  it('is searched again on other splits, settings, seed or code, or an unreadable choice', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const key = familyChoiceKey(stage(store), configs(1));
    expect(familyChoiceKey(stage(store), configs(1), 'other code')).not.toBe(key);
    expect(familyChoiceKey(stage(store, [], 'other train'), configs(1))).not.toBe(key);
    expect(familyChoiceKey(stage(store), configs(2))).not.toBe(key);
    expect(familyChoiceKey(stage(store), [...configs(1)].reverse())).not.toBe(key);
    const wider = parsePipelineConfig({
      model: { family: 'auto', candidates: ['ials', 'ease'], epochs: 3, factors: 16 },
    }).model;
    expect(familyChoiceKey(stage(store), configs(1, wider))).not.toBe(key);

    // A choice of a family that is not a candidate is not a usable one.
    await store.putBytes(
      joinKey(FAMILY_CHOICES, `${key}.json`),
      JSON.stringify({
        chosen: { family: 'neumf' },
        candidates: [{ family: 'neumf', confirmationNdcg10: 0.5 }],
      }),
    );
    const tried: string[] = [];
    const searched = await runTrainConfig(stage(store, tried), model, 1, splits);
    expect(searched.choiceReused).toBe(false);
    expect(tried).toEqual(['ials', 'ease']);
    const again = await runTrainConfig(stage(store, tried), model, 1, splits);
    expect(again.choiceReused).toBe(true);
  }, 60_000);

  it('leaves a configured family alone: no search, nothing stored', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const ials = parsePipelineConfig({ model: { family: 'ials' } }).model;
    const { train, choice } = await runTrainConfig(stage(store), ials, 1, splits);
    expect(train.family).toBe('ials');
    expect(choice).toBeUndefined();
    expect(await store.list(FAMILY_CHOICES)).toHaveLength(0);
  });
});

describe('when training reads the recency ranks', () => {
  const model = (m: Record<string, unknown>) => parsePipelineConfig({ model: m }).model;
  it('only for EASE with recency auto, on a catalog EASE can solve', () => {
    expect(usesRecency(model({ family: 'ease' }), 1000)).toBe(true);
    expect(usesRecency(model({ family: 'auto' }), 1000)).toBe(true);
    expect(usesRecency(model({ family: 'ease', recency: 'none' }), 1000)).toBe(false);
    expect(usesRecency(model({ family: 'auto', candidates: ['bpr', 'ials'] }), 1000)).toBe(false);
    expect(usesRecency(model({ family: 'ials' }), 1000)).toBe(false);
    expect(usesRecency(model({ family: 'auto' }), EASE_MAX_ITEMS + 1)).toBe(false);
  });
});
