/**
 * The Python worker's stages keep activities/stage-runner.ts's contract: from a StageInput
 * over outputs the TypeScript stages published, they publish a sealed manifest under a
 * content-addressed key that the TypeScript store code accepts, files the TypeScript
 * loaders read (generator.bin; model.json + weights.bin), the runtime in their stats, and
 * the same output again as `cached`. Run through `python -m recsys_worker.run_stage`,
 * without Temporal, on a local artifact store.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StageRef } from '../../../lib/contracts/index.ts';
import { writeInteractionsParquet } from '../../../lib/data/table-io.ts';
import { writeTrainingSetParquet } from '../../../lib/data/training-set-io.ts';
import type { Csr } from '../../../lib/eval/types.ts';
import { GeneratorScorer, loadGenerator } from '../../../lib/gan/index.ts';
import { loadModel } from '../../../lib/models/index.ts';
import {
  LocalArtifactStore,
  MANIFEST_NAME,
  publishStage,
  readManifest,
  readOutputBytes,
} from '../../../lib/store/index.ts';
import { runPythonModule } from '../../helpers/python.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { smallSplits, trainingSetOf, writeFixture } from './fixtures.ts';

const dir = tempDir('py-stage-');
const root = join(dir, 'store');
const store = new LocalArtifactStore(root);
const splits = smallSplits(50, 30, 21);

function coo(c: Csr) {
  const n = c.indices.length;
  const user = new Int32Array(n);
  for (let u = 0; u + 1 < c.indptr.length; u++) user.fill(u, c.indptr[u], c.indptr[u + 1]);
  return {
    n,
    user,
    item: c.indices,
    rating: new Float32Array(n).fill(1),
    ts: new Float64Array(n),
  };
}

/** Publishes files as a TypeScript stage would; returns the ref a workflow would pass. */
async function published(stage: string, files: { name: string; path: string }[], stats = {}) {
  const m = await publishStage(store, {
    identity: { stage, config: {}, inputs: {}, code: 'fixture' },
    kind: stage,
    files,
    stats,
    seconds: 0,
  });
  return { key: m.key, manifestUri: store.uriOf(`${m.key}/${MANIFEST_NAME}`) };
}

async function runStage(stage: string, input: Record<string, unknown>): Promise<StageRef> {
  const path = writeFixture(dir, `${stage}-input`, input);
  const out = await runPythonModule('recsys_worker.run_stage', [stage, path, store.rootUri]);
  return JSON.parse(out) as StageRef;
}

describe('Python stages on the stage-runner contract', () => {
  it('trainGan: sealed manifest, a generator TypeScript scores, cached the second time', async () => {
    await writeInteractionsParquet(join(dir, 'train.parquet'), coo(splits.train));
    await writeInteractionsParquet(join(dir, 'valid.parquet'), coo(splits.valid));
    const preprocess = await published(
      'preprocess',
      ['train.parquet', 'valid.parquet'].map((name) => ({ name, path: join(dir, name) })),
      { users: splits.nUsers, items: splits.nItems },
    );
    const input = {
      runId: 'test',
      inputs: { preprocess },
      config: {
        variant: 'user',
        generatorUnits: 16,
        discriminatorUnits: 8,
        noiseDim: 0,
        epochs: 3,
        dSteps: 2,
        gSteps: 2,
        batchSize: 16,
        discriminatorBatchSize: 16,
        learningRate: 0.003,
        regG: 0.001,
        validateEvery: 1,
        patience: 5,
        zrRatio: 0.7,
        pmRatio: 0.7,
        zrCoefficient: 0.03,
        reconstructionCoefficient: 1,
        inputDropout: 0.7,
        checkpointEvery: 1,
        budgetSeconds: 3600,
        seed: 3,
      },
    };
    const ref = await runStage('trainGan', input);
    expect(ref.status).toBe('done');
    expect(ref.code).toMatch(/^python:[0-9a-f]{16}$/);
    expect(ref.stats).toMatchObject({
      device: 'cpu',
      workerKind: 'python',
      epochs: 3,
      stoppedEarly: false,
      stoppedOnBudget: false,
      budgetSeconds: 3600,
    });
    expect(ref.stats.framework).toMatch(/^jax \d+\.\d+/);

    const manifest = await readManifest(store, ref.key);
    expect(manifest?.sha256).toBe(ref.sha256);
    const generator = loadGenerator(await readOutputBytes(store, manifest!, 'generator.bin'));
    expect([generator.variant, generator.nItems, generator.hidden]).toEqual(['user', 30, 16]);
    const scorer = await GeneratorScorer.create(generator, splits.train);
    const scores = new Float32Array(2 * splits.nItems);
    scorer.scoreUsers(Int32Array.of(0, 1), scores);
    expect(scores.every(Number.isFinite)).toBe(true);
    // Checkpoints are removed once the output is published.
    expect(await store.list('checkpoints')).toEqual([]);

    const again = await runStage('trainGan', input);
    expect([again.status, again.key]).toEqual(['cached', ref.key]);
    // Outside a worker no identity is recorded (the worker's own runs name it).
    expect(ref.worker).toBeUndefined();

    // gan.budgetSeconds: an epoch that would end past it is not started, one always runs.
    const cut = await runStage('trainGan', {
      ...input,
      config: { ...input.config, budgetSeconds: 0.001 },
    });
    expect(cut.stats).toMatchObject({
      epochs: 1,
      stoppedEarly: true,
      stoppedOnBudget: true,
      budgetSeconds: 0.001,
    });
  }, 180_000);

  /** Publishes a preprocess and a resample output with training set A over `splits`. */
  async function retrainInputs() {
    const set = trainingSetOf(splits, 5);
    await writeTrainingSetParquet(join(dir, 'a.parquet'), {
      ...set,
      source: new Uint8Array(set.n),
      score: new Float32Array(set.n),
    });
    await writeInteractionsParquet(join(dir, 'train.parquet'), coo(splits.train));
    await writeInteractionsParquet(join(dir, 'valid.parquet'), coo(splits.valid));
    const preprocess = await published(
      'preprocess',
      ['train.parquet', 'valid.parquet'].map((name) => ({ name, path: join(dir, name) })),
      { users: splits.nUsers, items: splits.nItems },
    );
    const resample = await published('resample', [
      { name: 'a.parquet', path: join(dir, 'a.parquet') },
    ]);
    return { preprocess, resample };
  }

  async function modelFiles(ref: StageRef) {
    const manifest = (await readManifest(store, ref.key))!;
    const files = manifest.files.map((f) => f.name).filter((n) => n !== 'history.json');
    return Promise.all(
      files.map(async (name) => ({
        name,
        bytes: await readOutputBytes(store, manifest, name),
      })),
    );
  }

  const model = {
    family: 'bpr',
    factors: 8,
    epochs: 3,
    batchSize: 64,
    learningRate: 0.01,
    l2: 0.001,
    negatives: 1,
    mlpLayers: [16, 8],
    optimizer: 'adam',
    patience: 3,
    evalEvery: 1,
    checkpointEvery: 1,
  };

  it('retrainA: a BPR-MF model the TypeScript loader reads; bad family is refused', async () => {
    const inputs = await retrainInputs();
    const ref = await runStage('retrainA', {
      runId: 'test',
      inputs,
      config: { variant: 'A', model, seed: 4 },
    });
    expect(ref.stats).toMatchObject({ family: 'bpr', workerKind: 'python', epochs: 3 });
    const loaded = await loadModel(await modelFiles(ref));
    expect([loaded.family, loaded.nUsers, loaded.nItems]).toEqual(['bpr', 50, 30]);

    await expect(
      runStage('retrainA', {
        runId: 'test',
        inputs,
        config: { variant: 'A', model: { ...model, family: 'svd' }, seed: 4 },
      }),
    ).rejects.toThrow('model.family svd: the Python worker trains bpr, neumf, ials, ease');
    expect(readFileSync(join(root, ...ref.key.split('/'), 'manifest.json'), 'utf8')).toContain(
      '"manifestSha256"',
    );
  }, 180_000);

  it('retrainA: a NeuMF model the TypeScript loader reads and scores', async () => {
    const inputs = await retrainInputs();
    const ref = await runStage('retrainA', {
      runId: 'test',
      inputs,
      config: { variant: 'A', model: { ...model, family: 'neumf' }, seed: 4 },
    });
    expect(ref.status).toBe('done');
    expect(ref.stats).toMatchObject({
      family: 'neumf',
      mlpLayers: [16, 8],
      workerKind: 'python',
      epochs: 3,
    });
    const loaded = await loadModel(await modelFiles(ref));
    expect([loaded.family, loaded.nUsers, loaded.nItems]).toEqual(['neumf', 50, 30]);
    const scores = new Float32Array(2 * splits.nItems);
    await loaded.scoreUsers(Int32Array.of(0, 1), scores);
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(new Set(scores).size).toBeGreaterThan(splits.nItems);
    expect(await store.list('checkpoints')).toEqual([]);
  }, 180_000);

  it('retrainA: iALS and EASE models the TypeScript loader reads and scores', async () => {
    const inputs = await retrainInputs();
    for (const family of ['ials', 'ease'] as const) {
      const ref = await runStage('retrainA', {
        runId: 'test',
        inputs,
        config: { variant: 'A', model: { ...model, family, alpha: 10, recency: 'auto' }, seed: 4 },
      });
      expect(ref.status, family).toBe('done');
      expect(ref.stats, family).toMatchObject({ family, workerKind: 'python' });
      const loaded = await loadModel(await modelFiles(ref));
      expect([loaded.family, loaded.nUsers, loaded.nItems]).toEqual([family, 50, 30]);
      const scores = new Float32Array(2 * splits.nItems);
      await loaded.scoreUsers(Int32Array.of(0, 1), scores);
      expect(scores.every(Number.isFinite), family).toBe(true);
      expect(new Set(scores).size, family).toBeGreaterThan(splits.nItems);
    }
    expect(await store.list('checkpoints')).toEqual([]);
  }, 180_000);
});
