/**
 * The Python worker's NeuMF (python/recsys_worker/neumf.py, JAX) against
 * lib/models/neumf, given the same randomness (the Python side draws the TypeScript stream:
 * initial tables, row order, negatives). Compared through the checkpoints both write after
 * every epoch (one layout): one batch's gradients (Adam's first moments are 0.1 x the
 * gradient after one step) and loss, the weights after N batches, early stopping's
 * validation NDCG@10, resume, and the model files Python writes as the TypeScript loader
 * reads and scores them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, trainRecommender } from '../../../lib/models/index.ts';
import { tableShapes } from '../../../lib/models/neumf/neumf-weights.ts';
import type { EpochLog, TrainConfig } from '../../../lib/models/types.ts';
import { packState, unpackState } from '../../../lib/training/train-state.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { relativeError } from './compare.ts';
import { runPythonTrainer, smallSplits, splitsJson, trainingSetOf } from './fixtures.ts';

/** One batch's gradients and loss: float32 rounding only. */
const TOL_STEP = 1e-5;
/** Weights after N updates, relative to each table's largest weight. */
const TOL_WEIGHTS = 1e-4;

const splits = smallSplits(60, 40, 3);
const set = trainingSetOf(splits, 4);
const validation = { train: splits.train, valid: splits.valid };
const scoreUsers = [0, 1, 7, 59];

const base: TrainConfig = {
  family: 'neumf',
  factors: 8,
  epochs: 1,
  batchSize: 100_000,
  learningRate: 0.01,
  l2: 0.001,
  negatives: 2,
  mlpLayers: [16, 8],
  optimizer: 'adam',
  patience: 10,
  evalEvery: 1,
  seed: 9,
};

const TABLES = tableShapes({
  nUsers: splits.nUsers,
  nItems: splits.nItems,
  factors: base.factors,
  layers: base.mlpLayers,
}).map(([name]) => name);

async function tsRun(config: TrainConfig) {
  const states = new Map<number, ReturnType<typeof unpackState>>();
  const result = await trainRecommender(set, validation, config, {
    checkpointEvery: 1,
    onCheckpoint: (s, epoch) => void states.set(epoch, unpackState(s)),
  });
  return { states, result };
}

function pyRun(config: TrainConfig, resume?: string) {
  return runPythonTrainer('neumf', { ...splitsJson(splits), set, config, scoreUsers }, resume);
}

function expectClose(
  a: Record<string, Float32Array>,
  b: Record<string, Float32Array>,
  names: string[],
  tol: number,
) {
  for (const n of names) {
    if (process.env.SHOW_ERRORS) console.warn(n, relativeError(a[n]!, b[n]!));
    expect(relativeError(a[n]!, b[n]!), n).toBeLessThan(tol);
  }
}

describe('NeuMF: Python (JAX) against TypeScript', () => {
  it('one batch: the same gradients and loss', async () => {
    const ts = await tsRun(base);
    const py = await pyRun(base);
    const [t, p] = [ts.states.get(1)!, py.state(1)];
    expect(p.header.step).toBe(1);
    expect(p.header.layers).toEqual(base.mlpLayers);
    expectClose(
      t.arrays,
      p.arrays,
      TABLES.map((k) => `${k}.m`),
      TOL_STEP,
    );
    const [tl, pl] = [t.header.history as EpochLog[], p.header.history as EpochLog[]];
    expect(pl[0]!.samples).toBe(tl[0]!.samples);
    expect(Math.abs(pl[0]!.loss - tl[0]!.loss) / tl[0]!.loss).toBeLessThan(TOL_STEP);
  }, 120_000);

  it('N batches of Adam: the same weights, validation NDCG@10 and resume', async () => {
    const config = { ...base, epochs: 4, batchSize: 64 };
    const ts = await tsRun(config);
    const py = await pyRun(config);
    const [t, p] = [ts.states.get(4)!, py.state(4)];
    expect(p.header.step).toBe(t.header.step);
    expectClose(t.arrays, p.arrays, TABLES, TOL_WEIGHTS);
    const [tl, pl] = [t.header.history as EpochLog[], p.header.history as EpochLog[]];
    for (const [k, log] of tl.entries())
      expect(Math.abs(pl[k]!.validNdcg10! - log.validNdcg10!), `epoch ${k + 1}`).toBeLessThan(1e-6);
    expect(p.header.bestEpoch).toBe(t.header.bestEpoch);

    // Resumed from its own epoch-2 checkpoint, Python repeats itself exactly.
    const resumed = (await pyRun(config, py.at(2))).state(4);
    for (const name of TABLES)
      expect(
        Buffer.from(resumed.arrays[name]!.buffer).equals(Buffer.from(p.arrays[name]!.buffer)),
        name,
      ).toBe(true);

    // Resumed from the TypeScript epoch-2 checkpoint, Python ends where TypeScript ended.
    const dir = tempDir('py-neumf-ts-');
    const fromTs = join(dir, 'ts-epoch-2.bin');
    const t2 = ts.states.get(2)!;
    writeFileSync(fromTs, packState(t2.header, t2.arrays));
    expectClose(t.arrays, (await pyRun(config, fromTs)).state(4).arrays, TABLES, TOL_WEIGHTS);

    // The model files load in TypeScript and score as Python scored them.
    const model = await loadModel([
      { name: 'model.json', bytes: py.file('model.json') },
      { name: 'weights.bin', bytes: py.file('weights.bin') },
    ]);
    expect(model.family).toBe('neumf');
    const users = Int32Array.from(scoreUsers);
    const scores = new Float32Array(users.length * splits.nItems);
    await model.scoreUsers(users, scores);
    const pyScores = new Float32Array(py.file('scores.bin').buffer);
    expect(relativeError(pyScores, scores)).toBeLessThan(1e-5);
    // And they are the TypeScript run's best model within tolerance.
    const tsScores = new Float32Array(scores.length);
    await ts.result.model.scoreUsers(users, tsScores);
    expect(relativeError(tsScores, scores)).toBeLessThan(TOL_WEIGHTS * 10);
  }, 240_000);

  it('refuses a checkpoint of another training, naming what does not match', async () => {
    const dir = tempDir('py-neumf-bad-');
    const other = { ...base, mlpLayers: [8] };
    const ts = await tsRun(other);
    const path = join(dir, 'other.bin');
    const s = ts.states.get(1)!;
    writeFileSync(path, packState(s.header, s.arrays));
    await expect(pyRun(base, path)).rejects.toThrow(
      'checkpoint does not match this training (neumf 60x40 factors 8 layers [8])',
    );
  }, 120_000);
});
