/**
 * Recommenders against the baselines on MovieLens-100K, over several seeds (test NDCG@10 is
 * noisy with ~940 test users: one standard error is about 0.007):
 *
 *   npx tsx bench/movielens/models.ts [--seeds 1,2,3] [--family bpr] [--set '{"l2":0.003}']
 *
 * The pipeline's preprocessing (rating >= 4, 5-core, leave-last-out) and the config's model
 * defaults, optionally overridden with --set (JSON of model fields). Prints Popularity,
 * ItemKNN and the model's NDCG@10 per seed and their mean, then one JSON line.
 */
import { parseArgs } from 'node:util';
import { familyCandidates, parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { ingestToTable, parseSource, preprocess } from '../../lib/data/index.ts';
import { ItemKnnScorer, PopularityScorer } from '../../lib/models/baselines/index.ts';
import { trainRecommender } from '../../lib/models/index.ts';
import { writeBenchResult } from '../common/results.ts';
import { benchSplits } from '../common/splits.ts';
import { ML100K_RATINGS, movielens100k } from './data.ts';
import { chooseFamily, trainConfigOf } from '../../lib/models/auto-family.ts';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    family: { type: 'string', default: 'bpr' },
    set: { type: 'string', default: '{}' },
  },
});
const config = parsePipelineConfig({
  model: { family: args.family, ...(JSON.parse(args.set!) as object) },
});

const ing = await ingestToTable(parseSource(ML100K_RATINGS(movielens100k())), {});
const pre = preprocess(
  { table: ing.table, ...ing.idMaps, meta: ing.meta },
  { ...config.preprocess, seed: config.seed },
);
const { nUsers, nItems, data, set, validation, testNdcg10: ndcg } = benchSplits(pre);
const popularity = await ndcg(PopularityScorer.fit(data.train, nItems));
const itemknn = await ndcg(ItemKnnScorer.fit(data.train, nItems));
console.error(
  `MovieLens-100K: ${nUsers} users x ${nItems} items; popularity ${popularity.toFixed(4)}, itemknn ${itemknn.toFixed(4)}`,
);
const scores: number[] = [];
const chosen: string[] = [];
for (const seed of args.seeds!.split(',').map(Number)) {
  const t0 = performance.now();
  // family auto: the candidates compete on validation; the winner is trained and tested.
  const model =
    config.model.family === 'auto'
      ? (
          await chooseFamily(
            set,
            validation,
            familyCandidates(config.model).map((m) => trainConfigOf(m, seed)),
          )
        ).chosen
      : trainConfigOf(config.model, seed);
  const r = await trainRecommender(set, validation, model);
  chosen.push(model.family);
  scores.push(await ndcg(r.model));
  console.error(
    `  ${model.family} seed ${seed}: best epoch ${r.bestEpoch}, valid ${r.bestValidNdcg10.toFixed(4)}, test ${scores.at(-1)!.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
}
const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
console.error(
  `  mean ${mean.toFixed(4)}: ${(mean / popularity).toFixed(2)}x popularity, ${(mean / itemknn).toFixed(2)}x itemknn`,
);
const figures = {
  family: config.model.family,
  ...(config.model.family === 'auto' ? { chosen } : {}),
  popularity: +popularity.toFixed(4),
  itemknn: +itemknn.toFixed(4),
  model: scores.map((s) => +s.toFixed(4)),
  mean: +mean.toFixed(4),
};
await writeBenchResult(
  `quality-movielens-${config.model.family}${args.set === '{}' ? '' : '-custom'}`,
  {
    users: nUsers,
    items: nItems,
    seeds: args.seeds,
    ...figures,
    meanVsPopularity: +(mean / popularity).toFixed(2),
    meanVsItemknn: +(mean / itemknn).toFixed(2),
  },
);
console.log(JSON.stringify(figures));
