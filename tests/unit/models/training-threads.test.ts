import { describe, expect, it } from 'vitest';
import { evaluateFullRanking } from '../../../lib/eval/index.ts';
import { PopularityScorer } from '../../../lib/models/baselines/index.ts';
import { trainRecommender } from '../../../lib/models/index.ts';
import type { TrainConfig, TrainResult } from '../../../lib/models/index.ts';
import {
  StrataSampler,
  balancedBlocks,
  byCount,
  epochItemBlocks,
  positiveCounts,
  rowsOfBlock,
} from '../../../lib/models/bpr/bpr-strata.ts';
import { TrainingPairs } from '../../../lib/models/training-pairs.ts';
import { expectExactResume } from '../../helpers/resume.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { trainingSetOf } from '../../helpers/training-set.ts';

// The demo's data (about 51K train positives): below the size where `threads: 0` starts
// threads, so these tests ask for them.
const { pre, nUsers, nItems, data } = syntheticSplits({
  users: 3000,
  items: 1500,
  interactions: 150_000,
  seed: 42,
  kCore: 5,
});
const validation = { train: data.train, valid: data.valid };
// Every 50th user dislikes item 3 (an explicit negative).
const extra = Array.from({ length: nUsers / 50 }, (_, k) => ({
  user: 50 * k,
  item: 3,
  label: 0 as const,
}));
const set = trainingSetOf(pre.train, nUsers, nItems, extra);

const bpr: TrainConfig = {
  family: 'bpr',
  factors: 64,
  epochs: 20,
  batchSize: 2048,
  learningRate: 0.05,
  l2: 1e-4,
  negatives: 1,
  mlpLayers: [],
  optimizer: 'sgd',
  patience: 10,
  evalEvery: 1,
  seed: 3,
};
const ials: TrainConfig = {
  ...bpr,
  family: 'ials',
  factors: 32,
  optimizer: undefined,
  l2: 1,
  alpha: 5,
  cgSteps: 3,
  epochs: 4,
};

const ndcg = (m: Parameters<typeof evaluateFullRanking>[1]) =>
  evaluateFullRanking(data, m, { ks: [10] }).summary.overall['ndcg@10']!;

async function scores(r: TrainResult): Promise<Float32Array> {
  const out = new Float32Array(3 * nItems);
  await r.model.scoreUsers(Int32Array.of(0, 50, 1234), out);
  return out;
}

describe('BPR-MF on threads', () => {
  it('splits users, and each epoch items, into blocks of equal positives; strata stay in them', () => {
    const counts = positiveCounts(set);
    const T = 3;
    const userBlock = balancedBlocks(counts.users, T);
    const itemOrder = byCount(counts.items);
    const itemBlock = epochItemBlocks(itemOrder, T, 7, 4);
    const load = (blocks: Int32Array, c: Int32Array) => {
      const out = [0, 0, 0];
      blocks.forEach((b, id) => (out[b]! += c[id]!));
      return out;
    };
    const positives = counts.users.reduce((a, b) => a + b, 0);
    for (const l of [load(userBlock, counts.users), load(itemBlock, counts.items)])
      for (const x of l) expect(Math.abs(x - positives / T)).toBeLessThan(0.02 * positives);
    // A fresh split of the items every epoch, the same one for the same (seed, epoch).
    expect(epochItemBlocks(itemOrder, T, 7, 4)).toEqual(itemBlock);
    expect(epochItemBlocks(itemOrder, T, 7, 5)).not.toEqual(itemBlock);

    const rows = rowsOfBlock(set, userBlock, 1);
    const pairs = new TrainingPairs(rows);
    const whole = new TrainingPairs(set);
    const sampler = new StrataSampler(pairs, itemOrder, T, 2, 7, 1);
    const drawn = sampler.epoch(4);
    expect(drawn.itemBlock).toEqual(itemBlock);
    const { strata } = drawn;
    expect(strata.reduce((n, s) => n + s.n, 0)).toBe(2 * pairs.positives.length);
    let explicit = 0;
    strata.forEach((s, b) => {
      for (let q = 0; q < s.n; q++) {
        expect(userBlock[s.user[q]!]).toBe(1);
        expect(itemBlock[s.pos[q]!]).toBe(b);
        expect(itemBlock[s.neg[q]!]).toBe(b);
        const disliked = s.neg[q] === 3 && s.user[q]! % 50 === 0;
        if (disliked) explicit++;
        // A drawn negative is never a positive (an explicit one is taken as given).
        else expect(whole.isPositive(s.user[q]!, s.neg[q]!)).toBe(false);
      }
    });
    // Users with one explicit negative (item 3) find it in a third of the blocks: there they
    // take it T times as often as their one-thread share (its weight over their positives'),
    // which keeps their share of it near the one-thread one.
    const inBlock = strata[itemBlock[3]!]!;
    const { explicitShare } = pairs.byUser();
    let theirs = 0;
    let expected = 0;
    for (let q = 0; q < inBlock.n; q++) {
      const u = inBlock.user[q]!;
      if (u % 50 !== 0) continue;
      theirs++;
      expected += Math.min(1, T * explicitShare[u]!);
    }
    expect(theirs).toBeGreaterThan(0);
    expect(expected).toBeLessThan(theirs);
    expect(Math.abs(explicit - expected)).toBeLessThan(4 * Math.sqrt(expected) + 2);
    // Each stratum in a shuffled order (not sorted by user).
    for (const s of strata)
      expect(s.user.every((u, q) => q === 0 || u >= s.user[q - 1]!)).toBe(false);
    // A function of (data, seed, epoch, thread): drawn again, the same samples. The strata
    // are views of buffers the sampler reuses, so they are compared as copies.
    const copies = (d: typeof drawn) =>
      d.strata.map((s) => ({
        n: s.n,
        user: s.user.slice(),
        pos: s.pos.slice(),
        neg: s.neg.slice(),
        weight: s.weight.slice(),
      }));
    const first = copies(drawn);
    expect(copies(sampler.epoch(4))).toEqual(first);
    expect(sampler.epoch(5).strata[0]!.neg).not.toEqual(first[0]!.neg);
  });

  it('learns as well as one thread; the same result on every run and after a resume', async () => {
    const one = await trainRecommender(set, validation, { ...bpr, threads: 1 });
    const two = await trainRecommender(set, validation, { ...bpr, threads: 2 });
    expect([one.threads, two.threads]).toEqual([1, 2]);
    // Not the one-thread result (the samples are drawn per thread), but as good.
    expect(two.history[0]!.loss).not.toBe(one.history[0]!.loss);
    const pop = ndcg(PopularityScorer.fit(data.train, nItems));
    expect(ndcg(two.model)).toBeGreaterThanOrEqual(2 * pop);
    expect(ndcg(two.model)).toBeGreaterThan(0.95 * ndcg(one.model));
    const short = { ...bpr, epochs: 4, threads: 2 };
    const [a, b] = [
      await trainRecommender(set, validation, short),
      await trainRecommender(set, validation, short),
    ];
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    expect(await scores(b)).toEqual(await scores(a));
    await expectExactResume((hooks) => trainRecommender(set, validation, short, hooks), nItems);
  }, 120_000);

  it('Adam and the typed kernel stay on one thread; an abort ends a threaded run', async () => {
    const adam = await trainRecommender(set, validation, {
      ...bpr,
      optimizer: 'adam',
      learningRate: 0.005,
      epochs: 1,
      threads: 2,
    });
    expect(adam.threads).toBe(1);
    const typed = await trainRecommender(set, validation, {
      ...bpr,
      kernel: 'typed',
      epochs: 1,
      threads: 2,
    });
    expect(typed.threads).toBe(1);
    const ctrl = new AbortController();
    const run = trainRecommender(
      set,
      validation,
      { ...bpr, epochs: 1000, threads: 2 },
      {
        signal: ctrl.signal,
        onEpoch: (log) => {
          if (log.epoch === 2) ctrl.abort(new Error('cancelled by Temporal'));
        },
      },
    );
    await expect(run).rejects.toThrow('cancelled by Temporal');
  }, 120_000);
});

describe('iALS on threads', () => {
  it('gives the same factors and losses for any thread count, and resumes exactly', async () => {
    const runs = [];
    for (const threads of [1, 2, 3])
      runs.push(await trainRecommender(set, validation, { ...ials, threads }));
    expect(runs.map((r) => r.threads)).toEqual([1, 2, 3]);
    const first = await scores(runs[0]!);
    for (const r of runs.slice(1)) {
      expect(r.history.map((h) => h.loss)).toEqual(runs[0]!.history.map((h) => h.loss));
      expect(await scores(r)).toEqual(first);
    }
    await expectExactResume(
      (hooks) => trainRecommender(set, validation, { ...ials, threads: 2 }, hooks),
      nItems,
    );
  }, 120_000);
});
