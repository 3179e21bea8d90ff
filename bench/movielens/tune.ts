/**
 * A hyper-parameter search on MovieLens-100K that never looks at the test split to choose:
 *
 *   npx tsx bench/movielens/tune.ts [--family bpr|neumf|ials] [--optimizer sgd|adam]
 *                                   [--grid '{"l2":[1e-4,1e-3],...}']
 *                                   [--seeds 1] [--confirm-seeds 1,2,3] [--top 3]
 *
 * Every combination of the grid (model fields; the default grid is below) trains on the
 * train split with early stopping on validation NDCG@10, once per --seeds. Combinations are
 * ranked by mean best validation NDCG@10; the --top few are retrained over --confirm-seeds
 * and only then scored on the test split, next to Popularity and ItemKNN. Prints a table
 * and one JSON line with the chosen setting.
 */
import { parseArgs } from 'node:util';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { ingestToTable, parseSource, preprocess } from '../../lib/data/index.ts';
import { ItemKnnScorer, PopularityScorer } from '../../lib/models/baselines/index.ts';
import { trainRecommender } from '../../lib/models/index.ts';
import { writeBenchResult } from '../common/results.ts';
import { benchSplits } from '../common/splits.ts';
import { ML100K_RATINGS, movielens100k } from './data.ts';
import { trainConfigOf } from '../../lib/models/auto-family.ts';

/**
 * The default grid. sgd's step sizes are about ten times Adam's, and its batch size changes
 * nothing (every sample steps on its own), so it searches the negatives further instead.
 * iALS has no step size: its lambda (l2) and confidence weight (alpha) matter.
 */
function defaultGrid(family: string, optimizer: string | undefined) {
  if (family === 'ials')
    return { factors: [64, 128, 256], l2: [0.3, 1, 3, 10], alpha: [2, 5, 10, 20] };
  return optimizer === 'sgd'
    ? {
        factors: [32, 64, 128],
        l2: [1e-4, 1e-3, 1e-2],
        learningRate: [0.02, 0.05, 0.1],
        negatives: [1, 4, 8],
      }
    : {
        factors: [32, 64, 128],
        l2: [1e-4, 1e-3, 1e-2],
        learningRate: [0.002, 0.005, 0.02],
        batchSize: [256, 2048],
        negatives: [1, 4],
      };
}

const { values: args } = parseArgs({
  options: {
    family: { type: 'string', default: 'bpr' },
    /** BPR-MF's optimizer (default: the config's, sgd); NeuMF trains with Adam, iALS with none. */
    optimizer: { type: 'string' },
    grid: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    'confirm-seeds': { type: 'string', default: '1,2,3' },
    top: { type: 'string', default: '3' },
  },
});
const fixed = { family: args.family, ...(args.optimizer ? { optimizer: args.optimizer } : {}) };
const base = parsePipelineConfig({ model: fixed });
const grid = (
  args.grid ? JSON.parse(args.grid) : defaultGrid(args.family!, base.model.optimizer)
) as Record<string, unknown[]>;
const seeds = (s: string) => s.split(',').map(Number);

/** Every combination of the grid's values, as model overrides. */
function combinations(g: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(g).reduce<Record<string, unknown>[]>(
    (acc, [key, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [key]: v }))),
    [{}],
  );
}

const ing = await ingestToTable(parseSource(ML100K_RATINGS(movielens100k())), {});
const pre = preprocess(
  { table: ing.table, ...ing.idMaps, meta: ing.meta },
  { ...base.preprocess, seed: base.seed },
);
const { nUsers, nItems, data, set, validation, testNdcg10 } = benchSplits(pre);

async function train(overrides: Record<string, unknown>, seed: number) {
  const { model } = parsePipelineConfig({ model: { ...fixed, ...overrides } });
  return trainRecommender(set, validation, trainConfigOf(model, seed));
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const label = (o: Record<string, unknown>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');

const all = combinations(grid);
console.error(
  `MovieLens-100K: ${nUsers} users x ${nItems} items; ${all.length} ${args.family} settings x ${args.seeds} seed(s), chosen on validation`,
);
const ranked: { overrides: Record<string, unknown>; valid: number }[] = [];
for (const [k, overrides] of all.entries()) {
  const valid: number[] = [];
  for (const seed of seeds(args.seeds!)) valid.push((await train(overrides, seed)).bestValidNdcg10);
  ranked.push({ overrides, valid: mean(valid) });
  console.error(`  [${k + 1}/${all.length}] ${label(overrides)}: valid ${mean(valid).toFixed(4)}`);
}
ranked.sort((a, b) => b.valid - a.valid);

const popularity = await testNdcg10(PopularityScorer.fit(data.train, nItems));
const itemknn = await testNdcg10(ItemKnnScorer.fit(data.train, nItems));
console.log(`\ntest NDCG@10: popularity ${popularity.toFixed(4)}, ItemKNN ${itemknn.toFixed(4)}`);
const confirmed = [];
for (const r of ranked.slice(0, Number(args.top))) {
  const valid: number[] = [];
  const test: number[] = [];
  for (const seed of seeds(args['confirm-seeds']!)) {
    const t = await train(r.overrides, seed);
    valid.push(t.bestValidNdcg10);
    test.push(await testNdcg10(t.model));
    t.model.dispose();
  }
  confirmed.push({ ...r, valid: mean(valid), test: mean(test), tests: test });
  console.log(
    `${label(r.overrides)}: valid ${mean(valid).toFixed(4)}, test ${mean(test).toFixed(4)} (${test.map((v) => v.toFixed(4)).join(', ')}) = ${(mean(test) / popularity).toFixed(2)}x popularity, ${(mean(test) / itemknn).toFixed(2)}x ItemKNN`,
  );
}
// The choice is by validation again, over the confirmation seeds.
confirmed.sort((a, b) => b.valid - a.valid);
const chosen = confirmed[0]!;
const figures = {
  family: args.family,
  optimizer: base.model.optimizer,
  chosen: chosen.overrides,
  valid: +chosen.valid.toFixed(4),
  test: +chosen.test.toFixed(4),
  popularity: +popularity.toFixed(4),
  itemknn: +itemknn.toFixed(4),
};
await writeBenchResult(
  `movielens-tune-${args.family}${args.optimizer ? `-${args.optimizer}` : ''}`,
  {
    ...figures,
    chosen: Object.entries(chosen.overrides)
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
      .join(', '),
    confirmed: Object.fromEntries(
      confirmed.map((c) => [
        label(c.overrides),
        {
          valid: +c.valid.toFixed(4),
          test: +c.test.toFixed(4),
          tests: c.tests.map((v) => v.toFixed(4)).join(', '),
        },
      ]),
    ),
  },
);
console.log(JSON.stringify(figures));
