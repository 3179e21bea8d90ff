/**
 * The Python worker's iALS (python/recsys_worker/ials.py, batched JAX) against
 * lib/models/ials, given the same initial factors (the Python side draws the TypeScript
 * stream): the factors after each epoch (compared through the checkpoints both write, one
 * layout), the objective and validation NDCG@10 per epoch, resume, and model files the
 * TypeScript loader reads and scores as the TypeScript model scores. Both solve in float32
 * (the TypeScript SIMD kernel, JAX), summing in other orders: agreement to rounding.
 */
import { describe, expect, it } from 'vitest';
import { loadModel, trainRecommender } from '../../../lib/models/index.ts';
import type { EpochLog, TrainConfig } from '../../../lib/models/types.ts';
import { unpackState } from '../../../lib/training/train-state.ts';
import { relativeError } from './compare.ts';
import { runPythonTrainer, smallSplits, splitsJson, trainingSetOf } from './fixtures.ts';

/** Factors after a few epochs, relative to each table's largest entry. */
const TOL = 1e-3;

const splits = smallSplits(70, 40, 8);
const set = trainingSetOf(splits, 9);
const validation = { train: splits.train, valid: splits.valid };

const config: TrainConfig = {
  family: 'ials',
  factors: 8,
  epochs: 4,
  batchSize: 1,
  learningRate: 0,
  l2: 0.05,
  negatives: 1,
  mlpLayers: [],
  alpha: 10,
  cgSteps: 3,
  patience: 10,
  evalEvery: 1,
  threads: 1,
  seed: 13,
};

function pyRun(resume?: string) {
  return runPythonTrainer('ials', { ...splitsJson(splits), set, config }, resume);
}

describe('iALS: Python (JAX) against TypeScript', () => {
  it('the same factors, objective and validation NDCG@10 per epoch; resume; model files', async () => {
    const states = new Map<number, ReturnType<typeof unpackState>>();
    const ts = await trainRecommender(set, validation, config, {
      checkpointEvery: 1,
      onCheckpoint: (s, epoch) => void states.set(epoch, unpackState(s)),
    });
    const py = await pyRun();
    for (const epoch of [1, 4]) {
      const [t, p] = [states.get(epoch)!, py.state(epoch)];
      for (const name of ['users', 'items'])
        expect(
          relativeError(t.arrays[name]!, p.arrays[name]!),
          `${name} epoch ${epoch}`,
        ).toBeLessThan(TOL);
    }
    const [tl, pl] = [
      states.get(4)!.header.history as EpochLog[],
      py.state(4).header.history as EpochLog[],
    ];
    for (const [k, log] of tl.entries()) {
      expect(Math.abs(pl[k]!.loss - log.loss) / Math.abs(log.loss), `loss ${k + 1}`).toBeLessThan(
        TOL,
      );
      expect(Math.abs(pl[k]!.validNdcg10! - log.validNdcg10!), `ndcg ${k + 1}`).toBeLessThan(1e-3);
    }

    // Resumed from its own epoch-2 checkpoint, Python repeats itself exactly.
    const resumed = (await pyRun(py.at(2))).state(4);
    for (const name of ['users', 'items'])
      expect(
        Buffer.from(resumed.arrays[name]!.buffer).equals(
          Buffer.from(py.state(4).arrays[name]!.buffer),
        ),
      ).toBe(true);

    // The model files load in TypeScript as an iALS model and score as the TypeScript model.
    const model = await loadModel([
      { name: 'model.json', bytes: py.file('model.json') },
      { name: 'weights.bin', bytes: py.file('weights.bin') },
    ]);
    expect(model.family).toBe('ials');
    const users = Int32Array.from({ length: splits.nUsers }, (_, u) => u);
    const [p, t] = [new Float32Array(users.length * 40), new Float32Array(users.length * 40)];
    await model.scoreUsers(users, p);
    await ts.model.scoreUsers(users, t);
    expect(relativeError(t, p)).toBeLessThan(TOL);
  }, 180_000);
});
