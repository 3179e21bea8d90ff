/**
 * Seeded benchmark inputs for `resample`, straight into typed arrays: a real split with
 * skewed user activity and Zipf item popularity (deduped per user), a GAN source and an
 * LLM source (half liked, half disliked) of which a share repeats real rows.
 */
import { AliasTable, Rng } from '../../lib/training/random.ts';
import type { ResampleInput, SyntheticSource } from '../../lib/sampling/index.ts';

export interface BenchShape {
  users: number;
  items: number;
  realRows: number;
  syntheticRows: number;
  /** Share of synthetic rows copied from real rows (they must be dropped). */
  realCopyShare: number;
  /** Top candidates per user for hard negatives. */
  hardPerUser: number;
  seed: number;
}

export const DEFAULT_SHAPE: BenchShape = {
  users: 100_000,
  items: 20_000,
  realRows: 10_000_000,
  syntheticRows: 1_000_000,
  realCopyShare: 0.05,
  hardPerUser: 50,
  seed: 7,
};

export function benchInput(shape: BenchShape): ResampleInput {
  const { users, items, realRows, seed } = shape;
  const rng = new Rng(seed);
  const zipf = new AliasTable(Float64Array.from({ length: items }, (_, i) => 1 / (i + 10) ** 0.9));
  // Activity ~ lognormal-ish, scaled to realRows, capped at items / 4.
  const act = new Float64Array(users);
  let sum = 0;
  for (let u = 0; u < users; u++) sum += act[u] = Math.exp(0.8 * rng.normal());
  const deg = new Int32Array(users);
  let n = 0;
  for (let u = 0; u < users; u++) {
    deg[u] = Math.min(Math.floor(items / 4), Math.max(1, Math.round((act[u]! / sum) * realRows)));
    n += deg[u]!;
  }
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const mark = new Int32Array(items);
  let k = 0;
  for (let u = 0; u < users; u++) {
    for (let d = 0; d < deg[u]!;) {
      const i = zipf.sample(rng);
      if (mark[i] === u + 1) continue;
      mark[i] = u + 1;
      user[k] = u;
      item[k++] = i;
      d++;
    }
  }
  const gan = synthetic('gan', Math.round(shape.syntheticRows * 0.6), shape, user, item, rng);
  const llm = synthetic('llm', shape.syntheticRows - gan.n, shape, user, item, rng);
  // Hard candidates: popular items (a stand-in for a base model's top scores).
  const indptr = new Int32Array(users + 1);
  const indices = new Int32Array(users * shape.hardPerUser);
  for (let u = 0; u < users; u++) {
    indptr[u + 1] = (u + 1) * shape.hardPerUser;
    for (let j = 0; j < shape.hardPerUser; j++)
      indices[u * shape.hardPerUser + j] = zipf.sample(rng);
  }
  return {
    nUsers: users,
    nItems: items,
    train: { n, user, item },
    synthetic: [gan, llm],
    hardCandidates: { indptr, indices },
  };
}

function synthetic(
  source: 'gan' | 'llm',
  n: number,
  shape: BenchShape,
  realUser: Int32Array,
  realItem: Int32Array,
  rng: Rng,
): SyntheticSource {
  const s: SyntheticSource = {
    source,
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    score: new Float32Array(n),
    plausibility: new Float32Array(n),
  };
  if (source === 'llm') s.label = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    if (rng.next() < shape.realCopyShare) {
      const r = rng.int(realUser.length);
      s.user[k] = realUser[r]!;
      s.item[k] = realItem[r]!;
    } else {
      s.user[k] = rng.int(shape.users);
      s.item[k] = rng.int(shape.items);
    }
    s.score[k] = rng.next();
    s.plausibility![k] = rng.normal();
    if (s.label) s.label[k] = k & 1 ? 0 : 1;
  }
  return s;
}
