import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandLlmStage } from '../../../activities/expand-llm.ts';
import type { ExpandLlmStageConfig } from '../../../activities/expand-llm.ts';
import { resampleStage } from '../../../activities/resample.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import type { StageRef } from '../../../lib/contracts/index.ts';
import { readSyntheticParquet, readTrainingSetParquet } from '../../../lib/data/index.ts';
import { csrFromCoo } from '../../../lib/eval/index.ts';
import { SOURCE } from '../../../lib/sampling/index.ts';
import { LocalArtifactStore, MANIFEST_NAME } from '../../../lib/store/index.ts';
import { FakeOpenAi } from '../../helpers/fake-openai.ts';
import { splitsStage, syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { tinyGguf } from '../../helpers/tiny-gguf.ts';
import { tempDir } from '../../helpers/tmp.ts';

const root = join(tempDir(), 'store');
const store = new LocalArtifactStore(root);
const { pre, nUsers, nItems } = syntheticSplits({
  users: 500,
  items: 250,
  interactions: 25_000,
  seed: 13,
  kCore: 5,
});
const { enabled: _e, ...defaults } = parsePipelineConfig({}).llm;
const base: ExpandLlmStageConfig = {
  llm: { ...defaults, users: 'all', sequence: { ...defaults.sequence, epochs: 2 } },
  seed: 4,
};
const KEY_ENV = 'TEST_EXPAND_LLM_KEY';
const SECRET = 'sk-stage-secret-9f8e7d6c5b4a';
const server = new FakeOpenAi();
let baseUrl = '';

beforeAll(async () => {
  baseUrl = await server.start();
  process.env[KEY_ENV] = SECRET;
});
afterAll(async () => {
  delete process.env[KEY_ENV];
  await server.close();
});

function preprocess(): Promise<StageRef> {
  return runStage(
    splitsStage({ train: pre.train, valid: pre.valid, test: pre.test }, { nUsers, nItems }, pre),
    { runId: 'p', config: { tag: 'p' }, inputs: {} },
    store,
  );
}

async function published(ref: StageRef, file: string): Promise<string> {
  return Buffer.from(await store.getBytes(`${ref.key}/${file}`)).toString('utf8');
}

describe('expandLlm stage', () => {
  it('without an LLM, says so, and writes liked/disliked candidates that resample puts into B', async () => {
    const p = await preprocess();
    const ref = await runStage(
      expandLlmStage,
      { runId: 'r1', config: base, inputs: { preprocess: p } },
      store,
    );
    expect(ref.stats).toMatchObject({ provider: 'sequence', fallback: true, requests: 0 });
    // Both epochs fit the default seconds budget, and the stats say the budget did not bind.
    expect(ref.stats).toMatchObject({ sequenceEpochs: 2, sequenceStoppedOnBudget: false });
    const summary = JSON.parse(await published(ref, 'expansion.json')) as { note: string };
    expect(summary.note).toContain('not an LLM');

    const rows = await readSyntheticParquet(await store.getBytes(`${ref.key}/llm.parquet`));
    expect(rows.source).toBe('llm');
    expect(rows.n).toBe(2 * (ref.stats.triples as number));
    expect(ref.stats.triples).toBeGreaterThan(0.9 * (ref.stats.users as number));
    const train = csrFromCoo(pre.train.user, pre.train.item, pre.train.n, nUsers);
    for (let k = 0; k < rows.n; k++) {
      const u = rows.user[k]!;
      const own = train.indices.subarray(train.indptr[u]!, train.indptr[u + 1]!);
      expect(own.includes(rows.item[k]!)).toBe(false);
      expect(rows.label![k]).toBe(k % 2 === 0 ? 1 : 0);
      expect(rows.plausibility![k]).toBe(rows.plausibility![k - (k % 2)]);
    }

    // One step back (leave-last-out splits): the same users again, from their histories
    // without the latest train row; the policy scores the source's candidates with these.
    expect(ref.stats.oneStepBackRows).toBeGreaterThan(0);
    const back = await readSyntheticParquet(await store.getBytes(`${ref.key}/llm-back.parquet`));
    expect(back.source).toBe('llm');
    expect(back.n).toBe(ref.stats.oneStepBackRows);
    let differ = 0;
    for (let k = 0; k < Math.min(back.n, rows.n); k++)
      differ += Number(back.item[k] !== rows.item[k]);
    expect(differ).toBeGreaterThan(0);
    const off = await runStage(
      expandLlmStage,
      {
        runId: 'r1off',
        config: { ...base, llm: { ...base.llm, oneStepBack: false } },
        inputs: { preprocess: p },
      },
      store,
    );
    expect(off.stats.oneStepBackSkipped).toBe('off');
    expect(await published(off, MANIFEST_NAME)).not.toContain('llm-back.parquet');
    expect(await published(ref, MANIFEST_NAME)).toContain('llm-back.parquet');

    const resampled = await runStage(
      resampleStage,
      {
        runId: 'r1',
        config: { resample: parsePipelineConfig({}).resample, seed: 4 },
        inputs: { preprocess: p, expandLlm: ref },
      },
      store,
    );
    const a = await readTrainingSetParquet(await store.getBytes(`${resampled.key}/a.parquet`));
    const b = await readTrainingSetParquet(await store.getBytes(`${resampled.key}/b.parquet`));
    expect(a.source.filter((s) => s === SOURCE.llm).length).toBe(0);
    const llmRows = b.source.reduce((n, s) => n + Number(s === SOURCE.llm), 0);
    expect(llmRows).toBeGreaterThan(0);
  }, 60_000);

  it('with an OpenAI-compatible endpoint: answers cached across runs, key never published', async () => {
    const p = await preprocess();
    server.requests = [];
    const llm = {
      ...base.llm,
      provider: 'openai' as const,
      users: 40,
      // One pass of prompts to count (one step back would ask each user again).
      oneStepBack: false,
      openai: { ...base.llm.openai, baseUrl, model: 'fake-model', apiKeyEnv: KEY_ENV },
    };
    const first = await runStage(
      expandLlmStage,
      { runId: 'r2', config: { llm, seed: 4 }, inputs: { preprocess: p } },
      store,
    );
    expect(first.stats).toMatchObject({
      provider: 'openai',
      fallback: false,
      users: 40,
      triples: 40,
      requests: 40,
      cachedResponses: 0,
    });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    // A config change that does not change the prompts re-runs the stage but pays nothing.
    const again = await runStage(
      expandLlmStage,
      {
        runId: 'r3',
        config: { llm: { ...llm, sequence: { ...llm.sequence, epochs: 3 } }, seed: 4 },
        inputs: { preprocess: p },
      },
      store,
    );
    expect(again.status).toBe('done');
    expect(again.stats).toMatchObject({ requests: 0, cachedResponses: 40, triples: 40 });
    expect(server.requests).toHaveLength(40);
    for (const ref of [first, again]) {
      expect(JSON.stringify(ref)).not.toContain(SECRET);
      expect(await published(ref, 'expansion.json')).not.toContain(SECRET);
      expect(await published(ref, MANIFEST_NAME)).not.toContain(SECRET);
    }
  }, 60_000);

  it('with a local GGUF model: llama.cpp answers every user, a rerun answers from the cache', async () => {
    const p = await preprocess();
    const modelPath = tinyGguf(tempDir());
    const llm = {
      ...base.llm,
      provider: 'gguf' as const,
      users: 30,
      oneStepBack: false,
      gguf: { ...base.llm.gguf, modelPath, gpu: 'cpu' as const, threads: 1, maxTokens: 48 },
    };
    const first = await runStage(
      expandLlmStage,
      { runId: 'g1', config: { llm, seed: 4 }, inputs: { preprocess: p } },
      store,
    );
    expect(first.stats).toMatchObject({
      provider: 'gguf',
      model: 'tiny-random-llama',
      device: 'cpu',
      fallback: false,
      users: 30,
      // The grammar admits valid answers only: none is dropped.
      triples: 30,
      droppedMalformed: 0,
      droppedOutOfRange: 0,
      droppedSame: 0,
      requests: 30,
      cachedResponses: 0,
    });
    expect(first.stats.promptTokens).toBeGreaterThan(30 * 100);
    const summary = JSON.parse(await published(first, 'expansion.json')) as { note: string };
    expect(summary.note).toContain('local GGUF model tiny-random-llama');
    const rows = await readSyntheticParquet(await store.getBytes(`${first.key}/llm.parquet`));
    expect(rows.n).toBe(60);

    // The same weights under another path are the same model: the cache answers.
    const copy = join(tempDir(), 'renamed.gguf');
    copyFileSync(modelPath, copy);
    const again = await runStage(
      expandLlmStage,
      {
        runId: 'g2',
        config: { llm: { ...llm, gguf: { ...llm.gguf, modelPath: copy } }, seed: 4 },
        inputs: { preprocess: p },
      },
      store,
    );
    expect(again.stats).toMatchObject({ requests: 0, cachedResponses: 30, triples: 30 });
    const rerun = await readSyntheticParquet(await store.getBytes(`${again.key}/llm.parquet`));
    expect(Array.from(rerun.item)).toEqual(Array.from(rows.item));
  }, 60_000);
});
