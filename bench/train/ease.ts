/**
 * What EASE's closed form costs: the inversion of an items x items Gram matrix (Cholesky,
 * the triangular inverse and their product, lib/models/ease/spd-inverse.ts) per catalog
 * size, and the whole `family: ease` fit on the demo data (four lambdas, each with the plain
 * history and five recency half-lives, lib/models/ease/ease-train.ts), which model.family
 * auto and retrainA/B pay once each (the policy's candidates: one inversion, at A's lambda).
 * The Gram matrices are of synthetic users with 40 random items each, lambda the mean
 * degree.
 *
 *   npx tsx bench/train/ease.ts [--items 1443,2000,5000] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { runSteps } from '../../lib/async/steps.ts';
import { invertSpdSteps } from '../../lib/models/ease/spd-inverse.ts';
import { trainRecommender } from '../../lib/models/index.ts';
import { trainConfigOf } from '../../lib/models/auto-family.ts';
import { Rng } from '../../lib/training/random.ts';
import { validationData } from '../movielens/validation-data.ts';
import { writeBenchResult } from '../common/results.ts';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '1443,2000,5000' },
    runs: { type: 'string', default: '3' },
  },
});
const runs = Number(args.runs);
const PER_USER = 40;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** A Gram matrix of 10 x n synthetic users plus lambda = its mean degree on the diagonal. */
function gram(n: number): Float64Array {
  const rng = new Rng(n);
  const g = new Float64Array(n * n);
  const row = new Int32Array(PER_USER);
  for (let u = 0; u < 10 * n; u++) {
    for (let k = 0; k < PER_USER; k++) row[k] = Math.floor(rng.next() * n);
    for (const i of row) for (const j of row) g[i * n + j]! += 1;
  }
  let degree = 0;
  for (let i = 0; i < n; i++) degree += g[i * n + i]!;
  for (let i = 0; i < n; i++) g[i * n + i]! += degree / n;
  return g;
}

const inversions: Record<string, unknown> = {};
for (const n of args.items.split(',').map(Number)) {
  const g = gram(n);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const a = g.slice();
    const t0 = performance.now();
    runSteps(invertSpdSteps(a, n));
    times.push(seconds(t0));
  }
  const s = median(times);
  // n^3 / 2 multiply-adds: Cholesky, triangular inverse and product, n^3 / 6 each.
  const gflops = (n ** 3 / s / 1e9).toFixed(2);
  console.log(`${n} items: inversion ${s.toFixed(2)} s (median of ${runs}; ${gflops} GFLOP/s)`);
  inversions[`items${n}`] = {
    items: n,
    seconds: +s.toFixed(3),
    minSeconds: +Math.min(...times).toFixed(3),
    maxSeconds: +Math.max(...times).toFixed(3),
    gflops: +gflops,
  };
}

const demo = await validationData('demo', 'ease');
const fits: number[] = [];
let chosen: unknown;
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const result = await trainRecommender(
    demo.set,
    demo.validation,
    trainConfigOf(demo.config.model, demo.config.seed),
  );
  fits.push(seconds(t0));
  chosen = result.chosen;
}
const fit = median(fits);
console.log(
  `demo data (${demo.nUsers} users x ${demo.nItems} items): family ease fit ${fit.toFixed(2)} s (median of ${runs}), chose ${JSON.stringify(chosen)}`,
);
await writeBenchResult('ease-solve', {
  runs,
  historyPerUser: PER_USER,
  ...inversions,
  demoFit: {
    users: demo.nUsers,
    items: demo.nItems,
    seconds: +fit.toFixed(2),
    minSeconds: +Math.min(...fits).toFixed(2),
    maxSeconds: +Math.max(...fits).toFixed(2),
  },
});
