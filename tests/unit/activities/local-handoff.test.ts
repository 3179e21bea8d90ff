import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestStage } from '../../../activities/ingest.ts';
import { offerIngested, takeIngested } from '../../../activities/local-handoff.ts';
import { preprocessStage } from '../../../activities/preprocess.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { LocalArtifactStore, readManifest } from '../../../lib/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const config = parsePipelineConfig({
  data: { source: 'synthetic:users=300,items=200,interactions=15000,seed=4' },
});
const s3 = { forcePathStyle: true } as Parameters<typeof ingestStage>[0];

async function ingestThenPreprocess(store: LocalArtifactStore, handOff: boolean) {
  // Each run in its own store: nothing is cached from the other.
  const ingest = await runStage(
    ingestStage(s3),
    { runId: 'r', config: { data: config.data, seed: config.seed }, inputs: {} },
    store,
  );
  if (!handOff) expect(takeIngested(ingest.key)).toBeDefined();
  const preprocess = await runStage(
    preprocessStage,
    {
      runId: 'r',
      config: { preprocess: config.preprocess, seed: config.seed },
      inputs: { ingest },
    },
    store,
  );
  return { ingest, preprocess };
}

describe('the ingest -> preprocess hand-off inside one worker', () => {
  it('gives byte-identical splits to reading the published files, and is taken once', async () => {
    const a = new LocalArtifactStore(join(tempDir(), 'a'));
    const b = new LocalArtifactStore(join(tempDir(), 'b'));
    const viaMemory = await ingestThenPreprocess(a, true);
    // Preprocess took the tables: nothing is left behind.
    expect(takeIngested(viaMemory.ingest.key)).toBeUndefined();
    const viaFiles = await ingestThenPreprocess(b, false);
    expect(viaFiles.preprocess.key).toBe(viaMemory.preprocess.key);
    const files = async (store: LocalArtifactStore, key: string) =>
      (await readManifest(store, key))!.files.map((f) => [f.name, f.bytes, f.sha256]);
    const splits = await files(a, viaMemory.preprocess.key);
    expect(splits.map((f) => f[0])).toEqual(
      expect.arrayContaining(['train.parquet', 'valid.parquet', 'test.parquet', 'users.parquet']),
    );
    expect(await files(b, viaFiles.preprocess.key)).toEqual(splits);
    const { seconds: _s1, rowsPerSecond: _r1, ...statsA } = viaMemory.preprocess.stats;
    const { seconds: _s2, rowsPerSecond: _r2, ...statsB } = viaFiles.preprocess.stats;
    expect(statsA).toEqual(statsB);
  });

  it('hands over only under the key it was offered with, and only the newest', () => {
    const tables = { n: 1 } as never;
    offerIngested('stages/ingest/a', { table: tables, users: tables, items: tables, meta: tables });
    offerIngested('stages/ingest/b', { table: tables, users: tables, items: tables, meta: tables });
    expect(takeIngested('stages/ingest/a')).toBeUndefined();
    expect(takeIngested('stages/ingest/b')).toBeDefined();
    expect(takeIngested('stages/ingest/b')).toBeUndefined();
  });
});
