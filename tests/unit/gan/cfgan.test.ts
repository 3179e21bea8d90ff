import { describe, expect, it } from 'vitest';
import { csrFromCoo, evaluateFullRankingAsync } from '../../../lib/eval/index.ts';
import {
  GeneratorScorer,
  generatePositives,
  generationQuality,
  jsDistance,
  loadGenerator,
  saveGenerator,
  selectUsers,
  trainCfgan,
} from '../../../lib/gan/index.ts';
import type { CfganConfig } from '../../../lib/gan/index.ts';
import { gatherSum, scatterRows } from '../../../lib/gan/sparse-rows.ts';
import { SMALL_CFGAN } from '../../helpers/small-cfgan.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

const { nUsers, nItems, data } = syntheticSplits({
  users: 800,
  items: 400,
  interactions: 40_000,
  seed: 7,
  kCore: 5,
});

const config: CfganConfig = SMALL_CFGAN;

async function validNdcg(
  scorer: GeneratorScorer | { scoreUsers(u: Int32Array, o: Float32Array): void },
) {
  const r = await evaluateFullRankingAsync(
    { nUsers, nItems, train: data.train, test: data.valid },
    scorer,
    { ks: [10], excludeValid: false },
  );
  return r.summary.overall['ndcg@10']!;
}

describe('sparse first layer', () => {
  // users 0: items {1, 3}; user 1: {}; user 2: {0, 1, 3}
  const csr = csrFromCoo(Int32Array.of(0, 0, 2, 2, 2), Int32Array.of(1, 3, 0, 1, 3), 5, 3);
  const table = Float32Array.from({ length: 4 * 2 }, (_, k) => k + 1); // 4 items x 2

  it('gathers the sum of the rows of each user`s items, plus a bias', () => {
    const out = new Float32Array(3 * 2);
    gatherSum(table, 2, csr, Int32Array.of(0, 1, 2), 3, out, Float32Array.of(10, 20));
    // rows: 0 -> [1,2], 1 -> [3,4], 3 -> [7,8]
    expect([...out]).toEqual([10 + 3 + 7, 20 + 4 + 8, 10, 20, 10 + 1 + 3 + 7, 20 + 2 + 4 + 8]);
  });

  it('scatters each user`s gradient onto their items, summing shared items', () => {
    const grad = Float32Array.of(1, 2, 100, 100, 10, 20);
    const slot = new Int32Array(4).fill(-1);
    const rows = new Int32Array(4);
    const sum = new Float32Array(8);
    const count = scatterRows(csr, Int32Array.of(0, 1, 2), 3, grad, 2, slot, rows, sum);
    const byRow = new Map<number, number[]>();
    for (let k = 0; k < count; k++) byRow.set(rows[k]!, [sum[2 * k]!, sum[2 * k + 1]!]);
    expect(Object.fromEntries(byRow)).toEqual({ 0: [10, 20], 1: [11, 22], 3: [11, 22] });
    expect([...slot]).toEqual([-1, -1, -1, -1]);
  });
});

/** A random ranking's expected validation NDCG@10 (about 0.012 here). */
function chanceNdcg10(): number {
  // The one valid item of a user lands at each rank of the user's unseen items with equal
  // chance.
  const top10 = Array.from({ length: 10 }, (_, r) => 1 / Math.log2(r + 2)).reduce((a, b) => a + b);
  let chance = 0;
  let users = 0;
  for (let u = 0; u < nUsers; u++) {
    if (data.valid.indptr[u + 1] === data.valid.indptr[u]) continue;
    chance += top10 / (nItems - (data.train.indptr[u + 1]! - data.train.indptr[u]!));
    users++;
  }
  return chance / users;
}

const splits = { nUsers, nItems, train: data.train, valid: data.valid };

describe('CFGAN', () => {
  it.each(['user', 'item'] as const)(
    'variant %s learns a generator that ranks validation items far better than chance',
    async (variant) => {
      const { generator, history } = await trainCfgan(splits, {
        ...config,
        variant,
        epochs: 30,
        validateEvery: 3,
        patience: 100,
      });
      expect(history).toHaveLength(30);
      for (const h of history)
        expect(Number.isFinite(h.dLoss) && Number.isFinite(h.gLoss)).toBe(true);
      expect(generator.variant).toBe(variant);
      const scorer = await GeneratorScorer.create(generator, data.train);
      const ndcg = await validNdcg(scorer);
      scorer.dispose();
      const chance = chanceNdcg10();
      expect(chance).toBeLessThan(0.02);
      expect(ndcg).toBeGreaterThan(3 * chance);
    },
    120_000,
  );

  it('keeps the best generator on validation and stops when patience runs out', async () => {
    const patience = 2;
    const r = await trainCfgan(splits, {
      ...config,
      learningRate: 0.01,
      epochs: 60,
      validateEvery: 1,
      patience,
    });
    const scored = r.history.map((h) => h.validNdcg10!);
    expect(scored.every(Number.isFinite)).toBe(true);
    expect(r.bestValidNdcg10).toBe(Math.max(...scored));
    expect(r.history[r.bestEpoch - 1]!.validNdcg10).toBe(r.bestValidNdcg10);
    if (r.stoppedEarly) expect(r.history).toHaveLength(r.bestEpoch + patience);
    else expect(r.history).toHaveLength(60);
    // The returned generator is the best one, not the last.
    const scorer = await GeneratorScorer.create(r.generator, data.train);
    expect(await validNdcg(scorer)).toBeCloseTo(r.bestValidNdcg10!, 12);
    scorer.dispose();
  }, 120_000);

  it('refuses, as non-retryable, an item variant whose score matrix is too large', async () => {
    const users = 20_000;
    const empty = { indptr: new Int32Array(users + 1), indices: new Int32Array(0) };
    const err = await trainCfgan(
      { nUsers: users, nItems: 10_000, train: empty },
      { ...config, variant: 'item' },
    ).catch((e: unknown) => e as Error & { retryable?: boolean });
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/20000 x 10000 matrix.*use gan.variant user/);
    expect((err as { retryable?: boolean }).retryable).toBe(false);
  });

  it('refuses validation without the valid split', async () => {
    await expect(
      trainCfgan({ nUsers, nItems, train: data.train }, { ...config, validateEvery: 1 }),
    ).rejects.toThrow(/needs the valid split/);
  });

  it.each(['user', 'item'] as const)(
    'variant %s with validation resumes from a checkpoint to exactly the uninterrupted result',
    async (variant) => {
      const c = {
        ...config,
        variant,
        regG: 0.001,
        dSteps: 2,
        gSteps: 2,
        validateEvery: 2,
        patience: 2,
      };
      const straight = await trainCfgan(splits, c);
      let saved: Uint8Array | undefined;
      await trainCfgan(
        splits,
        { ...c, epochs: 4 },
        {
          checkpointEvery: 4,
          onCheckpoint: (state) => {
            saved = state;
          },
        },
      );
      const resumed = await trainCfgan(splits, c, { resumeFrom: saved });
      expect(resumed.history).toEqual(
        straight.history.map((h, k) => ({ ...h, seconds: resumed.history[k]!.seconds })),
      );
      expect(resumed.bestEpoch).toBe(straight.bestEpoch);
      expect(
        Buffer.from(saveGenerator(resumed.generator)).equals(
          Buffer.from(saveGenerator(straight.generator)),
        ),
      ).toBe(true);
    },
    120_000,
  );

  it('resumes from a checkpoint to exactly the uninterrupted result', async () => {
    const straight = await trainCfgan({ nUsers, nItems, train: data.train }, config);
    let saved: Uint8Array | undefined;
    await trainCfgan(
      { nUsers, nItems, train: data.train },
      { ...config, epochs: 3 },
      {
        checkpointEvery: 3,
        onCheckpoint: (state) => {
          saved = state;
        },
      },
    );
    expect(saved).toBeDefined();
    const resumed = await trainCfgan({ nUsers, nItems, train: data.train }, config, {
      resumeFrom: saved,
    });
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(resumed.history.at(-1)!.gLoss).toBe(straight.history.at(-1)!.gLoss);
    expect(
      Buffer.from(saveGenerator(resumed.generator)).equals(
        Buffer.from(saveGenerator(straight.generator)),
      ),
    ).toBe(true);
  }, 120_000);

  it('refuses a checkpoint of a differently shaped GAN', async () => {
    let saved: Uint8Array | undefined;
    await trainCfgan(
      { nUsers, nItems, train: data.train },
      { ...config, epochs: 1 },
      {
        checkpointEvery: 1,
        onCheckpoint: (s) => {
          saved = s;
        },
      },
    );
    await expect(
      trainCfgan(
        { nUsers, nItems, train: data.train },
        { ...config, noiseDim: 8 },
        { resumeFrom: saved },
      ),
    ).rejects.toThrow(/does not match/);
  });

  it('with a noise input, trains and saves/loads the generator with its noise weights', async () => {
    const { generator } = await trainCfgan(
      { nUsers, nItems, train: data.train },
      { ...config, noiseDim: 8, epochs: 2 },
    );
    const back = loadGenerator(saveGenerator(generator));
    expect(back.noiseDim).toBe(8);
    expect(back.variant).toBe('user');
    expect([...back.wz]).toEqual([...generator.wz]);
    expect(() => loadGenerator(new Uint8Array(16))).toThrow(/checkpoint|generator/);
  });
});

describe('generation', () => {
  it('gives each selected user k new items, never one they have in train', async () => {
    const { generator } = await trainCfgan(
      { nUsers, nItems, train: data.train },
      { ...config, epochs: 2 },
    );
    const scorer = await GeneratorScorer.create(generator, data.train);
    const users = selectUsers(data.train, nUsers, 'sparse', 8);
    const rows = await generatePositives(scorer, data.train, nItems, users, {
      topK: 3,
      batchSize: 50,
    });
    scorer.dispose();
    expect(users.length).toBeGreaterThan(0);
    expect(rows.n).toBe(users.length * 3);
    for (let k = 0; k < rows.n; k++) {
      const u = rows.user[k]!;
      const own = data.train.indices.subarray(data.train.indptr[u]!, data.train.indptr[u + 1]!);
      expect(own.includes(rows.item[k]!)).toBe(false);
      expect(rows.score[k]).toBeGreaterThanOrEqual(0);
      expect(rows.score[k]).toBeLessThanOrEqual(1);
      if (k % 3 > 0) expect(rows.score[k]).toBeLessThanOrEqual(rows.score[k - 1]!);
    }
    for (const u of users)
      expect(data.train.indptr[u + 1]! - data.train.indptr[u]!).toBeLessThanOrEqual(8);
    const all = selectUsers(data.train, nUsers, 'all', 8);
    expect(all.length).toBeGreaterThan(users.length);
  });

  it('measures popularity distance, coverage and novelty against the real split', () => {
    const a = Int32Array.of(5, 3, 0, 2);
    expect(jsDistance(a, 10, a, 10)).toBe(0);
    expect(jsDistance(Int32Array.of(1, 0), 1, Int32Array.of(0, 1), 1)).toBeCloseTo(1, 12);
    // Generated rows all on the most popular item vs spread over the tail.
    const counts = new Int32Array(nItems);
    for (let k = 0; k < data.train.indptr[nUsers]!; k++) counts[data.train.indices[k]!]!++;
    const top = counts.indexOf(Math.max(...counts));
    const head = {
      n: 4,
      user: Int32Array.of(0, 1, 2, 3),
      item: new Int32Array(4).fill(top),
      score: new Float32Array(4),
    };
    const q = generationQuality(head, data.train, nUsers, nItems);
    expect(q.coverage).toBe(1 / nItems);
    expect(q.novelty).toBeLessThan(q.realNovelty);
    expect(q.popularityJsDistance).toBeGreaterThan(0.5);
  });
});
