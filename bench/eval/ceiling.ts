// How far above popularity can any recommender get on the built-in synthetic data?
//
//   npx tsx bench/eval/ceiling.ts [--users 3000] [--items 1500] [--interactions 150000]
//                                 [--set '{"optimizer":"adam"}']
//
// The generator (lib/data/synthetic.ts) picks an item by genre affinity and then by global
// popularity within the genre, so beyond "which genres, lately" there is no per-user item
// signal to learn. This prints test NDCG@10 (the pipeline's preprocessing: rating >= 4,
// 5-core, leave-last-out) of Popularity, ItemKNN, BPR-MF with the config defaults, and a
// "genre oracle" that is handed the true item genres: a recency-weighted histogram of the
// user's train genres times popularity within the genre, mixed with global popularity.
// The oracle is close to the data's ceiling for models without time; its ratio to
// popularity is the most a "BPR >= k x popularity" bar can ask of this data.
import { parseArgs } from 'node:util';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { generateSynthetic, preprocess } from '../../lib/data/index.ts';
import { itemCounts } from '../../lib/eval/index.ts';
import type { AsyncScorer } from '../../lib/eval/index.ts';
import { ItemKnnScorer, PopularityScorer } from '../../lib/models/baselines/index.ts';
import { trainRecommender } from '../../lib/models/index.ts';
import { benchSplits } from '../common/splits.ts';

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
const { nUsers, nItems, data, set, testNdcg10: ndcg } = benchSplits(pre);

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
const oracle: AsyncScorer = {
  scoreUsers(users, out) {
    for (let r = 0; r < users.length; r++) {
      const u = users[r]!;
      let total = 0;
      for (let c = 0; c < genres; c++) total += hist[u * genres + c]!;
      for (let i = 0; i < nItems; i++) {
        const w = counts[i]! + 1;
        const c = genreOf[i]!;
        out[r * nItems + i] =
          (0.75 * hist[u * genres + c]! * w) / (total * genreMass[c]!) + (0.25 * w) / mass;
      }
    }
  },
};

const popularity = await ndcg(PopularityScorer.fit(data.train, nItems));
const rows: [string, number][] = [['popularity', popularity]];
rows.push(['itemknn', await ndcg(ItemKnnScorer.fit(data.train, nItems))]);
const { checkpointEvery: _c, ...model } = config.model;
const bpr = await trainRecommender(
  set,
  { train: data.train, valid: data.valid },
  { ...model, seed: config.seed },
);
rows.push([args.set === '{}' ? 'bpr (defaults)' : 'bpr (--set)', await ndcg(bpr.model)]);
rows.push(['genre oracle', await ndcg(oracle)]);

console.log(`${nUsers} users x ${nItems} items, ${pre.train.n} train positives; test NDCG@10:`);
for (const [name, v] of rows)
  console.log(`  ${name.padEnd(16)} ${v.toFixed(4)}  ${(v / popularity).toFixed(2)}x popularity`);
console.log(JSON.stringify(Object.fromEntries(rows.map(([k, v]) => [k, Number(v.toFixed(4))]))));
