import { describe, expect, it } from 'vitest';
import { Rng, generateSynthetic, preprocess } from '../../../lib/data/index.ts';
import type { Interactions } from '../../../lib/data/index.ts';
import { abTest, csrFromCoo, evaluateFullRankingAsync } from '../../../lib/eval/index.ts';
import { trainRecommender } from '../../../lib/models/index.ts';
import type { TrainConfig, TrainingSet } from '../../../lib/models/index.ts';

/**
 * The promotion gate end to end on trained models: until the augmentation stages exist,
 * B is built here. B with extra true positives must be promoted, a degraded B must not,
 * and B = A must not.
 */
const g = generateSynthetic({ users: 1500, items: 800, interactions: 75_000, seed: 5 });
const pre = preprocess(
  { table: g.table, users: g.users, items: g.items, meta: g.meta },
  {
    positiveThreshold: 4,
    kCore: 5,
    split: 'leave-last-out',
    ratios: { train: 0.8, valid: 0.1, test: 0.1 },
    seed: 1,
  },
);
const nUsers = pre.users.size;
const nItems = pre.items.size;
const csr = (t: Interactions) => csrFromCoo(t.user, t.item, t.n, nUsers);
const data = { nUsers, nItems, train: csr(pre.train), valid: csr(pre.valid), test: csr(pre.test) };
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
