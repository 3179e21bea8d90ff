import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/data/index.ts';
import { abTest, evaluateFullRankingAsync } from '../../../lib/eval/index.ts';
import { trainRecommender } from '../../../lib/models/index.ts';
import type { TrainConfig, TrainingSet } from '../../../lib/models/index.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

/**
 * The promotion gate end to end on trained models: until the augmentation stages exist,
 * B is built here. B with extra true positives must be promoted, a degraded B must not,
 * and B = A must not.
 */
const { pre, nUsers, nItems, data } = syntheticSplits({
  users: 1500,
  items: 800,
  interactions: 75_000,
  seed: 5,
  kCore: 5,
});
const config: TrainConfig = {
  family: 'bpr',
  factors: 32,
  epochs: 10,
  batchSize: 2048,
  learningRate: 0.01,
  l2: 1e-4,
  negatives: 1,
  mlpLayers: [],
  patience: 2,
  evalEvery: 1,
  seed: 3,
};

function set(user: Int32Array, item: Int32Array): TrainingSet {
  return {
    nUsers,
    nItems,
    n: user.length,
    user,
    item,
    label: new Uint8Array(user.length).fill(1),
    weight: new Float32Array(user.length).fill(1),
  };
}

async function evaluate(s: TrainingSet) {
  const r = await trainRecommender(s, { train: data.train, valid: data.valid }, config);
  return evaluateFullRankingAsync(data, r.model, { ks: [10] });
}

const concat = (a: Int32Array, b: Int32Array) => {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

describe('the A/B gate on trained BPR-MF models', () => {
  const train = pre.train;
  const a = evaluate(set(train.user.slice(0, train.n), train.item.slice(0, train.n)));
  const gate = { metric: 'ndcg@10' as const, minLift: 0, maxDrop: 0.05 };

  it('promotes a B that truly is better (it saw extra true positives)', async () => {
    const t = pre.test;
    const b = await evaluate(set(concat(train.user, t.user), concat(train.item, t.item)));
    const { decision } = abTest(await a, b, gate, { seed: 1, resamples: 1000 });
    expect(decision.promote).toBe(true);
    expect(decision.reasons[0]).toMatch(/^promote B/);
  }, 60_000);

  it('keeps A when B is degraded (40% of positives replaced by random items)', async () => {
    const rng = new Rng(9);
    const item = train.item.slice(0, train.n);
    for (let k = 0; k < item.length; k++) if (rng.next() < 0.4) item[k] = rng.int(nItems);
    const b = await evaluate(set(train.user.slice(0, train.n), item));
    const { decision } = abTest(await a, b, gate, { seed: 1, resamples: 1000 });
    expect(decision.promote).toBe(false);
  }, 60_000);

  it('keeps A when B = A', async () => {
    const b = await evaluate(set(train.user.slice(0, train.n), train.item.slice(0, train.n)));
    const { decision, comparison } = abTest(await a, b, gate, { seed: 1, resamples: 1000 });
    expect(comparison.effects.all['ndcg@10']!.delta).toBe(0);
    expect(decision.promote).toBe(false);
  }, 60_000);
});
