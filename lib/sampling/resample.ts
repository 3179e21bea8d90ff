/**
 * `resample`: real train split + synthetic sources -> training sets A (real only) and B
 * (augmented), with a composition report. Pure and deterministic per (input, config, seed).
 *
 * Order of operations (each drop is counted by reason, see DROP_REASONS):
 * 1. real split sorted by (user, item) and deduped; item popularity and the long tail;
 * 2. synthetic rows in one table ordered by (user, item), ties in (source, row) order;
 * 3. denoise: duplicates of real rows, score < minScore, repeats of a kept synthetic row;
 * 4. prune the least plausible dropRate share of each source's positives; only the
 *    syntheticUsersFraction of users with the fewest real rows keep synthetic rows;
 * 5. per-user cap, then subsample to the target share: each source's best-scored rows of a
 *    user first, seeded tail-weighted ties, cold users first (balance.ts);
 * 6. dislikes of kept synthetic positives go; the rest become label-0 rows of B;
 * 7. A and B written with sampled negatives (separate seeded streams).
 */
import { Rng } from '../training/random.ts';
import { assemble } from './assemble.ts';
import {
  allowedSynthetic,
  capPerUser,
  keepOrder,
  keepSparsestUsers,
  prune,
  subsampleToShare,
} from './balance.ts';
import { denoise, dropConflictingDislikes, gatherCandidates } from './candidates.ts';
import { NegativeSampler } from './negatives.ts';
import { popularity } from './popularity.ts';
import { buildReport } from './report.ts';
import { realPositives } from './sort.ts';
import type { ResampleConfig, ResampleInput, ResampleResult } from './types.ts';
import { validateConfig, validateInput } from './validate.ts';

export function resample(input: ResampleInput, cfg: ResampleConfig, seed: number): ResampleResult {
  validateConfig(cfg);
  validateInput(input, cfg);
  const { nUsers, nItems, train } = input;
  // Fixed fork order: adding a step later must not shift the streams of the others.
  const root = new Rng(seed);
  const keyRng = root.fork();
  const negRngA = root.fork();
  const negRngB = root.fork();

  const real = realPositives(train.user, train.item, train.n, nUsers, nItems);
  const pop = popularity(real.items, nItems);
  const cold = new Uint8Array(nUsers);
  for (let u = 0; u < nUsers; u++)
    cold[u] = real.ptr[u + 1]! - real.ptr[u]! <= cfg.protectColdUsers ? 1 : 0;

  const cand = gatherCandidates(input.synthetic, nUsers, nItems);
  denoise(cand, real, cfg.minScore);
  prune(cand, input.synthetic.length, cfg.dropRate);
  keepSparsestUsers(
    cand,
    { indptr: real.ptr, indices: real.items },
    cfg.syntheticUsersFraction ?? 1,
  );
  const order = keepOrder(cand, pop.tail, cfg.tailBoost, keyRng);
  capPerUser(cand, order, cfg.maxSyntheticPerUser);
  const allowed = allowedSynthetic(real.items.length, cfg.syntheticShare);
  const shareCandidates = subsampleToShare(cand, order, cold, allowed);
  dropConflictingDislikes(cand);

  const { strategy, perPositive } = cfg.negatives;
  const sampler = (rng: Rng) =>
    new NegativeSampler(strategy, nItems, pop.count, input.hardCandidates, rng);
  const common = { nUsers, nItems, real, syntheticWeight: cfg.syntheticWeight, perPositive };
  const samplerA = sampler(negRngA);
  const a = assemble({ ...common, sampler: samplerA });
  const samplerB = sampler(negRngB);
  const b = assemble({ ...common, synthetic: cand, sampler: samplerB });

  const report = buildReport({
    seed,
    cfg,
    real,
    realRows: train.n,
    cand,
    pop,
    cold,
    a,
    b,
    negA: samplerA.stats,
    negB: samplerB.stats,
    shareCandidates,
    allowed,
  });
  return { a, b, report };
}
