import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BASELINE_CHOICES,
  baselineChoiceKey,
  plainBaselineSettings,
  sharedStrongestBaseline,
} from '../../../activities/baseline-choice.ts';
import { codeIdentityOf } from '../../../lib/code-identity/index.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import { evaluateBaselinesHere } from '../../../lib/models/baselines/evaluate-baselines.ts';
import { LocalArtifactStore, joinKey } from '../../../lib/store/index.ts';
import type { StageManifest } from '../../../lib/store/index.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { tempDir } from '../../helpers/tmp.ts';

const { pre, nUsers, nItems } = syntheticSplits({
  users: 400,
  items: 200,
  interactions: 20_000,
  seed: 4,
  kCore: 5,
});
const csr = (t: typeof pre.train) => csrFromCoo(t.user, t.item, t.n, nUsers);
const train = csr(pre.train);
const valid = csr(pre.valid);
const test = csr(pre.test);

/** What the shared search reads of a stage: the preprocess manifest's file hashes, a store. */
function stage(store: LocalArtifactStore, trainSha = 'train-sha') {
  const manifest = {
    files: [
      { name: 'train.parquet', sha256: trainSha },
      { name: 'valid.parquet', sha256: 'valid-sha' },
    ],
  } as unknown as StageManifest;
  return { inputManifest: () => manifest, store, signal: new AbortController().signal };
}

const users = Int32Array.from({ length: 50 }, (_, u) => u);

describe('the strongest baseline searched once per splits and code', () => {
  it('is searched by the first stage, refitted from the stored choice by the next, with the same proposals', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const first = await sharedStrongestBaseline(stage(store), train, valid, nItems);
    expect(first.reused).toBe(false);
    expect(await store.list(BASELINE_CHOICES)).toHaveLength(1);

    const tried: string[] = [];
    const second = await sharedStrongestBaseline(stage(store), train, valid, nItems, {
      onCandidate: (name) => tried.push(name),
    });
    expect(second.reused).toBe(true);
    // Only the winner is fitted again, with its chosen setting.
    expect(tried).toEqual([first.name]);
    expect(second.name).toBe(first.name);
    expect(second.validNdcg10).toBe(first.validNdcg10);
    expect(second.candidates).toEqual(first.candidates);
    const a = await first.topUnseen(users, 5);
    const b = await second.topUnseen(users, 5);
    expect(b.items).toEqual(a.items);
    expect(b.scores).toEqual(a.scores);
  }, 60_000);

  it('is searched once when two stages of one process ask at the same time', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const tried: string[][] = [[], []];
    const [a, b] = await Promise.all(
      [0, 1].map((i) =>
        sharedStrongestBaseline(stage(store), train, valid, nItems, {
          onCandidate: (name) => tried[i]!.push(name),
        }),
      ),
    );
    expect([a!.reused, b!.reused]).toEqual([false, true]);
    expect(tried[0]).toEqual(['ease', 'rp3beta', 'itemknn']);
    expect(tried[1]).toEqual([a!.name]);
    expect(b!.candidates).toEqual(a!.candidates);
  }, 60_000);

  it('is searched again on other splits, other candidates, other code, or an unreadable choice', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const key = baselineChoiceKey(stage(store), ['ease', 'rp3beta', 'itemknn']);
    const moduleUrl = pathToFileURL(
      join(import.meta.dirname, '../../../activities/baseline-choice.ts'),
    );
    // The default code part is the module's identity, which follows the code it reaches.
    expect(
      baselineChoiceKey(
        stage(store),
        ['ease', 'rp3beta', 'itemknn'],
        codeIdentityOf(moduleUrl.href),
      ),
    ).toBe(key);
    expect(baselineChoiceKey(stage(store), ['ease', 'rp3beta', 'itemknn'], 'other code')).not.toBe(
      key,
    );
    expect(baselineChoiceKey(stage(store, 'other train'), ['ease', 'rp3beta', 'itemknn'])).not.toBe(
      key,
    );
    expect(baselineChoiceKey(stage(store), ['rp3beta', 'ease', 'itemknn'])).not.toBe(key);

    await store.putBytes(joinKey(BASELINE_CHOICES, `${key}.json`), '{"name": "ease"');
    const searched = await sharedStrongestBaseline(stage(store), train, valid, nItems);
    expect(searched.reused).toBe(false);
    const again = await sharedStrongestBaseline(stage(store), train, valid, nItems);
    expect(again.reused).toBe(true);
  }, 60_000);

  it("lets evaluate's baselines refit with the stored settings: the same summaries without the search", async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    // A search with recency ranks (every entry 'latest': the plain history's scores).
    const best = await sharedStrongestBaseline(stage(store), train, valid, nItems, {
      recency: new Int32Array(train.indptr[nUsers]!),
    });
    expect(best.candidates.every((c) => Array.isArray(c.chosen?.recency))).toBe(true);
    const known = plainBaselineSettings(best);
    expect(Object.keys(known).sort()).toEqual(['ease', 'rp3beta']);
    const data = { nUsers, nItems, train, valid, test };
    const options = { ks: [10], coldThreshold: 5, tailFraction: 0.8 };
    const searched = await evaluateBaselinesHere(data, options);
    const refitted = await evaluateBaselinesHere(data, options, { known });
    expect(refitted.summaries).toEqual(searched.summaries);
    expect(refitted.chosen).toEqual(searched.chosen);
  }, 60_000);
});
