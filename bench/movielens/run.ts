/**
 * The whole pipeline on a real log: MovieLens-100K (100,000 ratings, 943 users, 1,682 movies)
 * with the embedded defaults (rating >= 4 positive, 5-core, leave-last-out; GAN and LLM
 * branches on). Run by hand:
 *
 *   npx tsx bench/movielens/run.ts [--config extra.yaml]
 *
 * No data ships with the project: the ratings and titles come from the ml-100k copy inside
 * the `recbole` wheel on PyPI (fetched once with pip into the cache folder, never
 * installed, never imported). Prints A, B, Popularity and ItemKNN test NDCG@10, A and B on
 * the sparse users with the interval of the change, the decision and per-stage seconds, and
 * ends with one JSON line.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfigFile } from '../../lib/config/pipeline.ts';
import { writeBenchResult } from '../common/results.ts';
import { ML100K_ITEMS, ML100K_RATINGS, movielens100k } from './data.ts';
import { runPipeline, stageStats } from './pipeline-run.ts';

const { values: args } = parseArgs({ options: { config: { type: 'string' } } });

const dir = movielens100k();
const config = {
  name: 'movielens-100k',
  data: {
    source: ML100K_RATINGS(dir),
    items: ML100K_ITEMS(dir),
  },
  ...(args.config ? (readConfigFile(args.config) as Record<string, unknown>) : {}),
};
const summary = await runPipeline(config);
const { seconds } = summary;
const stats = (name: string) => stageStats(summary, name);
const ev = stats('evaluate') as {
  'A.ndcg@10': number;
  'B.ndcg@10': number;
  ciLow: number;
  ciHigh: number;
  baselines: Record<string, number>;
};
const pre = stats('preprocess');
// The sparse users (the quarter with the fewest train rows): where augmentation should help.
const sparse = summary.segments?.sparseUsers;
const figures = {
  users: pre.users,
  items: pre.items,
  trainRows: pre.trainRows,
  A: ev['A.ndcg@10'],
  B: ev['B.ndcg@10'],
  deltaCi: [ev.ciLow, ev.ciHigh],
  sparseA: sparse?.A['ndcg@10'],
  sparseB: sparse?.B['ndcg@10'],
  sparseDeltaCi: sparse?.change ? [sparse.change.ciLow, sparse.change.ciHigh] : undefined,
  popularity: ev.baselines.popularity,
  itemknn: ev.baselines.itemknn,
  decision: summary.decision?.promote ? 'promote B' : 'keep A',
  seconds: +seconds.toFixed(1),
};
const f = (x: unknown) =>
  typeof x === 'number' && !Number.isInteger(x) ? x.toFixed(4) : String(x);
console.error(
  `\nMovieLens-100K: ${f(pre.users)} users x ${f(pre.items)} items after preprocessing`,
);
for (const s of summary.stages)
  console.error(`  ${s.name.padEnd(12)} ${s.status.padEnd(8)} ${s.seconds?.toFixed(1) ?? ''} s`);
console.error(
  `  test NDCG@10: A ${f(figures.A)}, B ${f(figures.B)}, popularity ${f(figures.popularity)}, itemknn ${f(figures.itemknn)}`,
);
console.error(
  `  sparse users (${f(sparse?.users)}): A ${f(figures.sparseA)}, B ${f(figures.sparseB)}, 95% CI of the change ${figures.sparseDeltaCi?.map(f).join('..') ?? 'n/a'}`,
);
console.error(`  decision: ${figures.decision}; ${summary.decision?.reasons[0] ?? ''}`);
const configName = args.config ? basename(args.config).replace(/\.[a-z]+$/i, '') : '';
await writeBenchResult(
  `movielens-pipeline${configName ? `-${configName.toLowerCase().replace(/[^a-z0-9.-]/g, '-')}` : ''}`,
  {
    ...figures,
    stageSeconds: Object.fromEntries(summary.stages.map((s) => [s.name, s.seconds])),
  },
);
console.log(JSON.stringify(figures));
