/**
 * The Python worker's EASE (python/recsys_worker/ease.py) against lib/models/ease on the same
 * training set (weighted rows and explicit negatives) and validation split: the same train
 * recency ranks (timestamps with ties), the same lambda and half-life chosen, the same
 * per-lambda validation NDCG@10, and model files the TypeScript loader reads and scores as the
 * TypeScript model scores (the CPU solve is float64 on both sides).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recencyRanksAsync } from '../../../lib/models/baselines/recency.ts';
import { loadModel, trainRecommender } from '../../../lib/models/index.ts';
import type { TrainConfig } from '../../../lib/models/types.ts';
import { Rng } from '../../../lib/training/random.ts';
import { runPythonModule } from '../../helpers/python.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { relativeError } from './compare.ts';
import { smallSplits, splitsJson, trainingSetOf, writeFixture } from './fixtures.ts';

const splits = smallSplits(90, 30, 5);
const set = trainingSetOf(splits, 6);
const nTrain = splits.train.indices.length;
// Few distinct times, so ties are broken by item, as the leave-last-out split breaks them.
const rng = new Rng(11);
const trainTs = Float64Array.from({ length: nTrain }, () => rng.int(6));
const trainUser = new Int32Array(nTrain);
for (let u = 0; u < splits.nUsers; u++)
  trainUser.fill(u, splits.train.indptr[u]!, splits.train.indptr[u + 1]!);

const base: TrainConfig = {
  family: 'ease',
  factors: 8,
  epochs: 1,
  batchSize: 1,
  learningRate: 0,
  l2: 0,
  negatives: 1,
  mlpLayers: [],
  patience: 1,
  evalEvery: 1,
  seed: 3,
};

async function both(config: TrainConfig) {
  const trainRecency = await recencyRanksAsync(
    { user: trainUser, item: splits.train.indices, ts: trainTs, n: nTrain },
    splits.nUsers,
  );
  const ts = await trainRecommender(
    set,
    { train: splits.train, valid: splits.valid, trainRecency },
    config,
  );
  const dir = tempDir('py-ease-');
  const fixture = writeFixture(dir, 'ease', { ...splitsJson(splits), set, config, trainTs });
  const out = join(dir, 'out');
  await runPythonModule('recsys_worker.equivalence', ['ease', fixture, out]);
  const file = (name: string) => new Uint8Array(readFileSync(join(out, name)));
  const py = JSON.parse(readFileSync(join(out, 'chosen.json'), 'utf8')) as {
    chosen: Record<string, number>;
    bestEpoch: number;
    history: { validNdcg10: number }[];
  };
  return { ts, py, file, trainRecency };
}

describe('EASE: Python against TypeScript', () => {
  for (const recency of ['auto', 'none'] as const)
    it(`recency ${recency}: the same choice, validation figures and model`, async () => {
      const { ts, py, file, trainRecency } = await both({ ...base, recency });
      expect(Array.from(new Int32Array(file('ranks.bin').buffer))).toEqual(
        Array.from(trainRecency),
      );
      expect(py.chosen.relativeLambda).toBe(ts.chosen!.relativeLambda);
      expect(py.chosen.halfLife).toBe(ts.chosen!.halfLife);
      expect(Math.abs(py.chosen.lambda! - ts.chosen!.lambda!)).toBeLessThan(
        1e-9 * ts.chosen!.lambda!,
      );
      if (recency === 'auto') expect(ts.chosen!.halfLife).toBeDefined(); // the fixture exercises it
      expect(py.bestEpoch).toBe(ts.bestEpoch);
      expect(py.history.map((h) => h.validNdcg10)).toHaveLength(ts.history.length);
      for (const [k, h] of ts.history.entries())
        expect(Math.abs(py.history[k]!.validNdcg10 - h.validNdcg10!), `lambda ${k}`).toBeLessThan(
          1e-6,
        );
      const model = await loadModel([
        { name: 'model.json', bytes: file('model.json') },
        { name: 'ease.bin', bytes: file('ease.bin') },
      ]);
      const users = Int32Array.from({ length: splits.nUsers }, (_, u) => u);
      const [p, t] = [new Float32Array(users.length * 30), new Float32Array(users.length * 30)];
      await model.scoreUsers(users, p);
      await ts.model.scoreUsers(users, t);
      expect(relativeError(t, p)).toBeLessThan(1e-5);
    }, 120_000);
});
