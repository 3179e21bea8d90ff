// How far above popularity can any recommender get on the built-in synthetic data?
//
//   npx tsx bench/eval/ceiling.ts [--users 3000] [--items 1500] [--interactions 150000]
//                                 [--seed 42] [--set '{"optimizer":"adam"}']
//
// The generator (lib/data/synthetic.ts) picks a genre by the user's cluster affinity, then
// (3 times in 4) restricts the pick to the user's favourite style, then picks by popularity.
// This prints test NDCG@10 (the pipeline's preprocessing: rating >= 4, 5-core,
// leave-last-out) of Popularity, ItemKNN, the model with the config defaults (or --set),
// and two oracles handed the generator's truth:
// - "genre oracle": a recency-weighted histogram of the user's train genres times
//   popularity within the genre, mixed with global popularity (knows the item genres);
// - "taste oracle": the same, with the within-genre pick split by the true user and item
//   styles as the generator does (knows genres and styles). It is close to the data's
//   ceiling for models without time.
import { parseArgs } from 'node:util';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { STYLE_SHARE, generateSynthetic, preprocess } from '../../lib/data/index.ts';
import { itemCounts } from '../../lib/eval/index.ts';
import type { AsyncScorer } from '../../lib/eval/index.ts';
import { ItemKnnScorer, PopularityScorer } from '../../lib/models/baselines/index.ts';
import { trainRecommender } from '../../lib/models/index.ts';
import { writeBenchResult } from '../common/results.ts';
import { benchSplits } from '../common/splits.ts';
import { trainConfigOf } from '../../lib/models/auto-family.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '3000' },
    items: { type: 'string', default: '1500' },
    interactions: { type: 'string', default: '150000' },
    seed: { type: 'string', default: '42' },
    /** Model settings over the defaults, as JSON (the `model` section of the config). */
    set: { type: 'string', default: '{}' },
  },
});
const spec = {
  users: Number(args.users),
  items: Number(args.items),
  interactions: Number(args.interactions),
  seed: Number(args.seed),
};
const config = parsePipelineConfig({ model: JSON.parse(args.set!) as object });
const g = generateSynthetic(spec);
const pre = preprocess(
  { table: g.table, users: g.users, items: g.items, meta: g.meta },
  { ...config.preprocess, seed: config.seed },
);
const { nUsers, nItems, data, set, validation, testNdcg10: ndcg } = benchSplits(pre);

// The genre oracle, from the generator's ground truth.
const genres = Math.max(...g.truth.itemGenre) + 1;
const genreOf = Int32Array.from({ length: nItems }, (_, i) => {
  return g.truth.itemGenre[Number(pre.items.idOf(i)) - 1]!;
});
const counts = itemCounts(data.train, nItems);
const genreMass = new Float64Array(genres);
let mass = 0;
for (let i = 0; i < nItems; i++) {
  genreMass[genreOf[i]!]! += counts[i]! + 1;
  mass += counts[i]! + 1;
}
// Recency-weighted genre histogram per user (half-life: 8 items).
const hist = new Float64Array(nUsers * genres);
const order = Int32Array.from({ length: pre.train.n }, (_, k) => k).sort(
  (a, b) => pre.train.user[a]! - pre.train.user[b]! || pre.train.ts[b]! - pre.train.ts[a]!,
);
for (let k = 0, prev = -1, rank = 0; k < order.length; k++, rank++) {
  const row = order[k]!;
  const u = pre.train.user[row]!;
  if (u !== prev) [prev, rank] = [u, 0];
  hist[u * genres + genreOf[pre.train.item[row]!]!]! += 0.5 ** (rank / 8);
}
// Styles (truth): the user's and each item's, and each genre x style's popularity mass.
const styles = Math.max(...g.truth.itemStyle) + 1;
const styleOf = Int32Array.from({ length: nItems }, (_, i) => {
  return g.truth.itemStyle[Number(pre.items.idOf(i)) - 1]!;
});
const userStyleOf = (u: number) => g.truth.userStyle[Number(pre.users.idOf(u)) - 1]!;
const styleMass = new Float64Array(genres * styles);
for (let i = 0; i < nItems; i++) styleMass[genreOf[i]! * styles + styleOf[i]!]! += counts[i]! + 1;

/** The genre oracle; with `styleShare` > 0, the within-genre pick follows the true styles. */
const oracle = (styleShare: number): AsyncScorer => ({
  scoreUsers(users, out) {
    for (let r = 0; r < users.length; r++) {
      const u = users[r]!;
      const own = userStyleOf(u);
      let total = 0;
      for (let c = 0; c < genres; c++) total += hist[u * genres + c]!;
      for (let i = 0; i < nItems; i++) {
        const w = counts[i]! + 1;
        const c = genreOf[i]!;
        const inStyle = styleOf[i] === own ? w / styleMass[c * styles + own]! : 0;
        const inGenre = (1 - styleShare) * (w / genreMass[c]!) + styleShare * inStyle;
        out[r * nItems + i] = (0.75 * hist[u * genres + c]! * inGenre) / total + (0.25 * w) / mass;
      }
    }
  },
});

const popularity = await ndcg(PopularityScorer.fit(data.train, nItems));
const rows: [string, number][] = [['popularity', popularity]];
rows.push(['itemknn', await ndcg(ItemKnnScorer.fit(data.train, nItems))]);
const model = trainConfigOf(config.model, config.seed);
const bpr = await trainRecommender(set, validation, model);
rows.push([`${model.family} (${args.set === '{}' ? 'defaults' : '--set'})`, await ndcg(bpr.model)]);
rows.push(['genre oracle', await ndcg(oracle(0))]);
rows.push(['taste oracle', await ndcg(oracle(STYLE_SHARE))]);

console.log(`${nUsers} users x ${nItems} items, ${pre.train.n} train positives; test NDCG@10:`);
for (const [name, v] of rows)
  console.log(`  ${name.padEnd(16)} ${v.toFixed(4)}  ${(v / popularity).toFixed(2)}x popularity`);
const figures = Object.fromEntries(rows.map(([k, v]) => [k, Number(v.toFixed(4))]));
const shape = `${spec.users}x${spec.items}x${spec.interactions}`;
await writeBenchResult(
  `quality-synthetic-${model.family}-seed${spec.seed}` +
    (shape === '3000x1500x150000' ? '' : `-${shape}`) +
    // `--set '{"family":"neumf"}'` is still the family's defaults; anything more is custom.
    (Object.keys(JSON.parse(args.set!) as object).some((k) => k !== 'family') ? '-custom' : ''),
  {
    family: model.family,
    users: nUsers,
    items: nItems,
    trainPositives: pre.train.n,
    // The model's row under one name, so results of different families line up.
    testNdcg10: Object.fromEntries(rows.map(([k, v], i) => [i === 2 ? 'model' : k, +v.toFixed(4)])),
  },
);
console.log(JSON.stringify(figures));
