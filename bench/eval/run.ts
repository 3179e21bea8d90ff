// Full-ranking evaluation benchmark: N users x M items, every item ranked for every test
// user, with a dense 64-factor dot-product scorer, then the baselines and the A/B statistics.
//
//   npx tsx bench/eval/run.ts [--users 10000] [--items 10000] [--dim 64] [--backend auto|wasm|js]
//                             [--no-baselines] [--resamples 2000]
//
// Prints seconds and users/s per part. The bar (issue 4): 10K x 10K in <= 10 s.
// The factors are random and the data has no structure beyond popularity: the timings are
// the point, the metric values are not (Popularity beating ItemKNN here is expected).
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { abTest } from '../../lib/eval/decision.ts';
import { DotProductScorer } from '../../lib/eval/factor-scorer.ts';
import { csrFromCoo } from '../../lib/eval/csr.ts';
import { evaluateFullRankingAsync } from '../../lib/eval/full-ranking.ts';
import { SplitMix32 } from '../../lib/training/random.ts';
import type { AsyncScorer, EvalData, EvalResult, Scorer } from '../../lib/eval/types.ts';
import { ItemKnnScorer } from '../../lib/models/baselines/item-knn.ts';
import { PopularityScorer } from '../../lib/models/baselines/popularity.ts';
import { writeBenchResult } from '../common/results.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    items: { type: 'string', default: '10000' },
    dim: { type: 'string', default: '64' },
    backend: { type: 'string', default: 'auto' },
    'no-baselines': { type: 'boolean', default: false },
    resamples: { type: 'string', default: '2000' },
  },
});
const nUsers = Number(args.users);
const nItems = Number(args.items);
const dim = Number(args.dim);
const backend = args.backend as 'auto' | 'wasm' | 'js';

/** Synthetic implicit feedback: 10-40 distinct items per user, popularity-skewed. */
function makeData(seed: number): EvalData {
  const rng = new SplitMix32(seed);
  const users: number[][] = [[], [], []];
  const items: number[][] = [[], [], []];
  const seen = new Int32Array(nItems).fill(-1);
  for (let u = 0; u < nUsers; u++) {
    const n = 10 + rng.int(31);
    let got = 0;
    while (got < n) {
      const i = Math.floor(rng.next() ** 3 * nItems);
      if (seen[i] === u) continue;
      seen[i] = u;
      // last item -> test, second to last -> valid, the rest -> train
      const split = got === n - 1 ? 2 : got === n - 2 ? 1 : 0;
      users[split]!.push(u);
      items[split]!.push(i);
      got++;
    }
  }
  const csr = (s: number) =>
    csrFromCoo(Int32Array.from(users[s]!), Int32Array.from(items[s]!), users[s]!.length, nUsers);
  return { nUsers, nItems, train: csr(0), valid: csr(1), test: csr(2) };
}

function factors(seed: number, rows: number): Float32Array {
  const rng = new SplitMix32(seed);
  return Float32Array.from({ length: rows * dim }, () => rng.normal() * 0.1);
}

/** Wraps a scorer to measure the time spent inside it. */
function timed(scorer: Scorer): AsyncScorer & { ms: number } {
  const t = {
    ms: 0,
    scoreUsers(ids: Int32Array, out: Float32Array) {
      const start = performance.now();
      scorer.scoreUsers(ids, out);
      t.ms += performance.now() - start;
    },
  };
  return t;
}

/** Seconds per part, for bench/results. */
const figures: Record<string, Record<string, number>> = {};

async function run(name: string, data: EvalData, scorer: Scorer, fitMs = 0): Promise<EvalResult> {
  const t = timed(scorer);
  let beats = 0;
  const start = performance.now();
  const res = await evaluateFullRankingAsync(data, t, { onProgress: () => beats++ });
  const sec = (performance.now() - start) / 1000;
  const n = res.users.length;
  console.log(
    `${name.padEnd(22)} ${sec.toFixed(2).padStart(6)} s  ${Math.round(n / sec)
      .toString()
      .padStart(7)} users/s  (scoring ${(t.ms / 1000).toFixed(2)} s, ranking+metrics ${(
      sec -
      t.ms / 1000
    ).toFixed(
      2,
    )} s${fitMs ? `, fit ${(fitMs / 1000).toFixed(2)} s` : ''}, ${beats} progress calls)` +
      `  ndcg@10=${res.summary.overall['ndcg@10']!.toFixed(4)}`,
  );
  figures[name] = {
    seconds: +sec.toFixed(2),
    usersPerSec: Math.round(n / sec),
    scoringSeconds: +(t.ms / 1000).toFixed(2),
    fitSeconds: +(fitMs / 1000).toFixed(2),
  };
  return res;
}

const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(
  `eval bench: ${nUsers} users x ${nItems} items, ${dim} factors, node ${process.version}`,
);
console.log(`machine: ${availableParallelism()} cores, ${cpu}`);
let start = performance.now();
const data = makeData(1);
const nnz = data.train.indptr[nUsers]!;
console.log(
  `data: ${nnz} train interactions, built in ${((performance.now() - start) / 1000).toFixed(2)} s`,
);

const P = factors(2, nUsers);
const Q = factors(3, nItems);
const mf = new DotProductScorer(P, Q, dim, { backend });
const t0 = performance.now();
const a = await run(`dot-product (${mf.backend})`, data, mf);
const mfSec = (performance.now() - t0) / 1000;
if (nUsers === 10000 && nItems === 10000) {
  console.log(
    `bar: 10K x 10K full ranking in <= 10 s: ${mfSec <= 10 ? 'PASS' : 'FAIL'} (${mfSec.toFixed(2)} s)`,
  );
}

if (!args['no-baselines']) {
  start = performance.now();
  const pop = PopularityScorer.fit(data.train, nItems);
  await run('popularity', data, pop, performance.now() - start);
  start = performance.now();
  const knn = ItemKnnScorer.fit(data.train, nItems, { neighbours: 100 });
  const knnRes = await run('item-knn (k=100)', data, knn, performance.now() - start);

  const resamples = Number(args.resamples);
  start = performance.now();
  const { comparison, decision } = abTest(
    a,
    knnRes,
    { metric: 'ndcg@10', minLift: 0.001, maxDrop: 0.02 },
    { resamples },
  );
  const sec = (performance.now() - start) / 1000;
  const effects = Object.values(comparison.effects).reduce((s, e) => s + Object.keys(e).length, 0);
  console.log(
    `A/B statistics         ${sec.toFixed(2).padStart(6)} s  (${effects} paired effects, ${resamples} bootstrap resamples, ${a.users.length} users)`,
  );
  console.log(`decision (dot-product -> item-knn): ${decision.reasons.join(' | ')}`);
  figures['A/B statistics'] = { seconds: +sec.toFixed(2), pairedEffects: effects, resamples };
}
await writeBenchResult(`eval-${nUsers}x${nItems}`, {
  users: nUsers,
  items: nItems,
  factors: dim,
  trainInteractions: nnz,
  parts: figures,
});
