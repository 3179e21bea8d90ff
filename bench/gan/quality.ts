/**
 * The CFGAN generator as a recommender, next to ItemKNN, on MovieLens-100K and on the demo
 * data (the default synthetic source), both preprocessed as the pipeline does (rating >= 4,
 * 5-core, leave-last-out):
 *
 *   npx tsx bench/gan/quality.ts [--data movielens,demo] [--seeds 1,2,3]
 *                                [--candidates '[{},{"reconstructionCoefficient":2},{"learningRate":0.0003,"epochs":30},{"variant":"item"}]']
 *                                [--recency auto|none]
 *                                [--paper-split DIR] [--paper-epochs 200] [--valid-only]
 *
 * (`{}` is the pipeline's defaults.)
 *
 * Choices are made on validation only: ItemKNN's neighbourhood size, and which of the
 * candidate settings (gan config fields over the pipeline defaults; the first seed trains
 * each) the generator uses; the GAN itself early-stops on validation NDCG@10. With
 * `--recency auto` (gan.recency's default) each trained generator's condition is chosen as
 * generateGan chooses it (plain or recency-weighted histories, lib/gan/recency.ts), and
 * ItemKNN is also scored with its own half-life chosen on validation (as the teacher's
 * search does), beside plain ItemKNN. The test split is then read once per seed: NDCG@10,
 * P@20 and NDCG@20.
 *
 * `--paper-split DIR` also trains the authors' recipe (parameters.py, ML-100K) on their own
 * train/test files (DIR/ML100K.train and DIR/ML100K.test, from the CFGAN authors'
 * repository; never committed) for a fixed number of epochs, as their code does, and
 * compares P@20 / NDCG@20 with the paper's 0.294 / 0.433.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import type { PipelineConfig } from '../../lib/config/pipeline.ts';
import { ingestToTable, parseSource, preprocess } from '../../lib/data/index.ts';
import { csrFromCoo, evaluateFullRankingAsync } from '../../lib/eval/index.ts';
import type { AsyncScorer, Csr } from '../../lib/eval/index.ts';
import {
  CONDITION_CHOICE_USERS,
  GeneratorScorer,
  chooseGeneratorRecency,
  trainCfgan,
} from '../../lib/gan/index.ts';
import { sampleRows } from '../../lib/eval/row-sample.ts';
import type { CfganConfig } from '../../lib/gan/index.ts';
import { ItemKnnScorer } from '../../lib/models/baselines/index.ts';
import { chooseHistoryWeighting, recencyWeights } from '../../lib/models/baselines/recency.ts';
import { validationNdcg10 } from '../../lib/models/validation-score.ts';
import { writeBenchResult } from '../common/results.ts';
import { benchSplits } from '../common/splits.ts';
import { ML100K_RATINGS, movielens100k } from '../movielens/data.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'movielens,demo' },
    seeds: { type: 'string', default: '1,2,3' },
    candidates: {
      type: 'string',
      default:
        '[{},{"reconstructionCoefficient":2},{"learningRate":0.0003,"epochs":30},{"variant":"item"}]',
    },
    'paper-split': { type: 'string' },
    'paper-epochs': { type: 'string', default: '200' },
    recency: { type: 'string', default: 'auto' },
    // Compare candidates on validation and stop: the test split is not read.
    'valid-only': { type: 'boolean', default: false },
  },
});
const seeds = args.seeds!.split(',').map(Number);
const candidates = JSON.parse(args.candidates!) as Partial<CfganConfig>[];
if (args.recency !== 'auto' && args.recency !== 'none')
  throw new Error(`--recency: auto or none, not ${args.recency}`);
const NEIGHBOURS = [10, 20, 50, 100, 200, 400];
/** The paper's ML-100K figures for CFGAN (Chae et al. 2018). */
const PAPER = { 'precision@20': 0.294, 'ndcg@20': 0.433 };

interface Splits {
  nUsers: number;
  nItems: number;
  train: Csr;
  valid: Csr;
  test: Csr;
  /** Per train entry, the user's later train rows (recency.ts); absent on the paper split. */
  ranks?: Int32Array;
}

const defaults = parsePipelineConfig({});
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const r4 = (x: number) => +x.toFixed(4);
const label = (c: object) => JSON.stringify(c);

async function loadSplits(name: string): Promise<Splits> {
  const source = name === 'movielens' ? ML100K_RATINGS(movielens100k()) : defaults.data.source;
  const ing = await ingestToTable(parseSource(source), {});
  const pre = preprocess(
    { table: ing.table, ...ing.idMaps, meta: ing.meta },
    { ...defaults.preprocess, seed: defaults.seed },
  );
  const { nUsers, nItems, data, validation } = benchSplits(pre);
  return {
    nUsers,
    nItems,
    train: data.train,
    valid: data.valid,
    test: data.test,
    ranks: validation.trainRecency,
  };
}

/** Test NDCG@10, P@20 and NDCG@20 (P@20 = hits in the top 20 / 20, as the paper counts). */
async function testMetrics(d: Splits, scorer: AsyncScorer, excludeValid = true) {
  const r = await evaluateFullRankingAsync(
    { nUsers: d.nUsers, nItems: d.nItems, train: d.train, test: d.test, valid: d.valid },
    scorer,
    { ks: [10, 20], excludeValid },
  );
  const recall = r.perUser['recall@20']!;
  let precision = 0;
  for (let k = 0; k < r.users.length; k++) {
    const u = r.users[k]!;
    precision += (recall[k]! * (d.test.indptr[u + 1]! - d.test.indptr[u]!)) / 20;
  }
  return {
    'ndcg@10': r.summary.overall['ndcg@10']!,
    'precision@20': precision / r.users.length,
    'ndcg@20': r.summary.overall['ndcg@20']!,
  };
}

function ganConfig(overrides: Partial<CfganConfig>, seed: number): CfganConfig {
  const { gan } = parsePipelineConfig({ gan: overrides }) as PipelineConfig;
  const {
    enabled: _e,
    users: _u,
    sparseThreshold: _s,
    topK: _k,
    gate: _g,
    checkpointEvery: _c,
    recency: _r,
    ...config
  } = gan;
  return { ...config, seed };
}

async function trainGenerator(d: Splits, config: CfganConfig) {
  const t0 = performance.now();
  const r = await trainCfgan(d, config, {
    onEpoch: (l) => {
      if (l.validNdcg10 !== undefined)
        process.stderr.write(
          `    epoch ${l.epoch}: valid NDCG@10 ${l.validNdcg10.toFixed(4)} (${l.seconds.toFixed(1)} s/epoch)\n`,
        );
    },
  });
  const plain = await GeneratorScorer.create(r.generator, d.train);
  // The condition, as generateGan chooses it (on a sample of the validation users).
  const choiceUsers = {
    train: d.train,
    valid: sampleRows(d.valid, CONDITION_CHOICE_USERS, config.seed, 0x6a7e3),
  };
  const condition =
    args.recency === 'auto' && d.ranks
      ? await chooseGeneratorRecency(plain, d.train, d.ranks, (s) =>
          validationNdcg10(s, choiceUsers),
        )
      : undefined;
  if (condition)
    process.stderr.write(
      `    condition: ${condition.figures.map((f) => `${f.halfLife ?? 'plain'} ${f.validNdcg10.toFixed(4)}`).join(', ')}\n`,
    );
  return {
    scorer: condition?.scorer ?? plain,
    /** Disposes the chosen scorer's tensors too (it shares the plain one's). */
    dispose: () => plain.dispose(),
    valid: condition?.validNdcg10 ?? r.bestValidNdcg10 ?? 0,
    validPlain: r.bestValidNdcg10 ?? 0,
    halfLife: condition?.halfLife ?? null,
    bestEpoch: r.bestEpoch,
    epochs: r.history.length,
    seconds: (performance.now() - t0) / 1000,
  };
}

async function dataSet(name: string) {
  const d = await loadSplits(name);
  console.error(
    `\n${name}: ${d.nUsers} users x ${d.nItems} items, ${d.train.indptr[d.nUsers]} train rows`,
  );
  // ItemKNN: the neighbourhood size with the best validation NDCG@10.
  let knn = { k: 0, valid: -1 };
  for (const k of NEIGHBOURS) {
    const valid = await validationNdcg10(
      ItemKnnScorer.fit(d.train, d.nItems, { neighbours: k }),
      d,
    );
    console.error(`  itemknn k=${k}: valid ${valid.toFixed(4)}`);
    if (valid > knn.valid) knn = { k, valid };
  }
  // ItemKNN on recency-weighted histories, its half-life chosen on validation.
  const knnScorer = ItemKnnScorer.fit(d.train, d.nItems, { neighbours: knn.k });
  const knnRecency =
    args.recency === 'auto' && d.ranks
      ? await chooseHistoryWeighting(
          knnScorer,
          knn.valid,
          (h) => knnScorer.withHistoryWeight(recencyWeights(d.ranks!, h)),
          (s) => validationNdcg10(s, d),
        )
      : undefined;
  if (knnRecency)
    console.error(
      `  itemknn k=${knn.k} recency: ${knnRecency.figures.map((f) => `${f.halfLife ?? 'plain'} ${f.validNdcg10.toFixed(4)}`).join(', ')}`,
    );
  // The generator's setting: the best candidate on validation (first seed).
  const tried: (Awaited<ReturnType<typeof trainGenerator>> & {
    candidate: Partial<CfganConfig>;
  })[] = [];
  for (const candidate of candidates) {
    const t = await trainGenerator(d, ganConfig(candidate, seeds[0]!));
    tried.push({ candidate, ...t });
    console.error(
      `  cfgan ${label(candidate)}: valid ${t.valid.toFixed(4)} (plain ${t.validPlain.toFixed(4)}, half-life ${t.halfLife ?? 'none'}; best epoch ${t.bestEpoch} of ${t.epochs}, ${t.seconds.toFixed(0)} s)`,
    );
  }
  const chosen = tried.reduce((a, b) => (b.valid > a.valid ? b : a));
  if (args['valid-only']) {
    console.log(`${name} validation NDCG@10: ItemKNN ${knn.valid.toFixed(4)}`);
    if (knnRecency?.halfLife !== undefined)
      console.log(
        `  ItemKNN, half-life ${knnRecency.halfLife} ${knnRecency.validNdcg10.toFixed(4)}`,
      );
    for (const t of tried) console.log(`  CFGAN ${label(t.candidate)} ${t.valid.toFixed(4)}`);
    return undefined;
  }
  for (const t of tried) if (t !== chosen) t.dispose();
  // The test split, read once per model and seed.
  const itemknn = await testMetrics(d, knnScorer);
  const knnHalfLife = knnRecency?.halfLife;
  const itemknnRecency =
    knnHalfLife === undefined ? undefined : await testMetrics(d, knnRecency!.scorer);
  const perSeed: Awaited<ReturnType<typeof testMetrics>>[] = [];
  const valid: number[] = [];
  const halfLives: (number | null)[] = [];
  const epochs: number[] = [];
  const seconds: number[] = [];
  for (const seed of seeds) {
    // The first seed's generator is the chosen candidate itself.
    const t =
      seed === seeds[0] ? chosen : await trainGenerator(d, ganConfig(chosen.candidate, seed));
    perSeed.push(await testMetrics(d, t.scorer));
    t.dispose();
    valid.push(t.valid);
    halfLives.push(t.halfLife);
    epochs.push(t.epochs);
    seconds.push(t.seconds);
  }
  const cfgan = Object.fromEntries(
    Object.keys(itemknn).map((m) => [m, r4(mean(perSeed.map((p) => p[m as keyof typeof p])))]),
  );
  const row = (who: string, m: Record<string, number>) =>
    console.log(
      `  ${who.padEnd(28)} NDCG@10 ${m['ndcg@10']!.toFixed(4)}  P@20 ${m['precision@20']!.toFixed(4)}  NDCG@20 ${m['ndcg@20']!.toFixed(4)}`,
    );
  console.log(`\n${name} (test, ${seeds.length} seeds for CFGAN):`);
  row(`ItemKNN (k=${knn.k})`, itemknn);
  if (itemknnRecency) row(`ItemKNN, half-life ${knnHalfLife}`, itemknnRecency);
  row(`CFGAN ${label(chosen.candidate)}`, cfgan);
  console.log(
    `  CFGAN / ItemKNN NDCG@10: ${(cfgan['ndcg@10']! / itemknn['ndcg@10']).toFixed(2)} (goal >= 1)`,
  );
  if (itemknnRecency)
    console.log(
      `  CFGAN / ItemKNN with recency NDCG@10: ${(cfgan['ndcg@10']! / itemknnRecency['ndcg@10']).toFixed(2)}`,
    );
  return {
    users: d.nUsers,
    items: d.nItems,
    itemknn: { neighbours: knn.k, valid: r4(knn.valid), ...mapR4(itemknn) },
    ...(itemknnRecency && knnRecency
      ? {
          itemknnRecency: {
            neighbours: knn.k,
            halfLife: knnHalfLife,
            valid: r4(knnRecency.validNdcg10),
            ...mapR4(itemknnRecency),
          },
        }
      : {}),
    cfgan: {
      chosen: label(chosen.candidate),
      recency: args.recency,
      candidates: Object.fromEntries(tried.map((t) => [label(t.candidate), r4(t.valid)])),
      candidatesPlain: Object.fromEntries(tried.map((t) => [label(t.candidate), r4(t.validPlain)])),
      halfLife: halfLives,
      valid: valid.map(r4),
      epochs,
      seconds: seconds.map((s) => +s.toFixed(1)),
      ...cfgan,
      testNdcg10PerSeed: perSeed.map((p) => r4(p['ndcg@10'])),
    },
    cfganVsItemknnNdcg10: r4(cfgan['ndcg@10']! / itemknn['ndcg@10']),
    ...(itemknnRecency
      ? { cfganVsItemknnRecencyNdcg10: r4(cfgan['ndcg@10']! / itemknnRecency['ndcg@10']) }
      : {}),
  };
}

function mapR4(m: Record<string, number>) {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, r4(v)]));
}

/** The authors' ML-100K files: "user item rating" lines, ids from 0. */
function readPaperFile(path: string) {
  const users: number[] = [];
  const items: number[] = [];
  for (const [n, line] of readFileSync(path, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue;
    const [u, i] = line.trim().split(/\s+/).map(Number);
    if (!Number.isInteger(u) || !Number.isInteger(i))
      throw new Error(`${path}:${n + 1}: expected "user item rating", got ${JSON.stringify(line)}`);
    users.push(u!);
    items.push(i!);
  }
  return { user: Int32Array.from(users), item: Int32Array.from(items) };
}

/** The authors' recipe on their own split: fixed epochs, no validation, test read at the end. */
async function paperSplit(dir: string) {
  const tr = readPaperFile(join(dir, 'ML100K.train'));
  const te = readPaperFile(join(dir, 'ML100K.test'));
  const nUsers = Math.max(...tr.user, ...te.user) + 1;
  const nItems = Math.max(...tr.item, ...te.item) + 1;
  const train = csrFromCoo(tr.user, tr.item, tr.user.length, nUsers);
  const test = csrFromCoo(te.user, te.item, te.user.length, nUsers);
  const empty = csrFromCoo(new Int32Array(0), new Int32Array(0), 0, nUsers);
  const d: Splits = { nUsers, nItems, train, valid: empty, test };
  const epochs = Number(args['paper-epochs']);
  // parameters.py, ML-100K: item-based, 400/125 units, lr 1e-4, batch G 32 / D 64, steps
  // G 4 / D 2, ZR+PM 70 %, alpha 0.03, reg_G 0.001; 750-1000 G passes = 188-250 epochs here.
  const recipe: Partial<CfganConfig> = {
    variant: 'item',
    generatorUnits: 400,
    discriminatorUnits: 125,
    learningRate: 1e-4,
    batchSize: 32,
    discriminatorBatchSize: 64,
    gSteps: 4,
    dSteps: 2,
    zrRatio: 0.7,
    pmRatio: 0.7,
    zrCoefficient: 0.03,
    reconstructionCoefficient: 0,
    inputDropout: 0,
    regG: 0.001,
    epochs,
    validateEvery: 0,
  };
  console.error(
    `\npaper split: ${nUsers} users x ${nItems} items, ${tr.user.length} train / ${te.user.length} test rows; ${epochs} epochs`,
  );
  const t0 = performance.now();
  const r = await trainCfgan({ nUsers, nItems, train }, ganConfig(recipe, seeds[0]!), {
    onEpoch: (l) => {
      if (l.epoch % 10 === 0)
        console.error(
          `  epoch ${l.epoch}: dLoss ${l.dLoss.toFixed(3)}, gLoss ${l.gLoss.toFixed(3)}, ${l.seconds.toFixed(1)} s`,
        );
    },
  });
  const scorer = await GeneratorScorer.create(r.generator, train);
  const m = await testMetrics(d, scorer, false);
  scorer.dispose();
  const within = (k: keyof typeof PAPER) => Math.abs(m[k] / PAPER[k] - 1) <= 0.1;
  console.log(
    `\npaper split (seed ${seeds[0]}): P@20 ${m['precision@20'].toFixed(4)} (paper ${PAPER['precision@20']}), NDCG@20 ${m['ndcg@20'].toFixed(4)} (paper ${PAPER['ndcg@20']}); within 10%: ${within('precision@20') && within('ndcg@20')}`,
  );
  return {
    users: nUsers,
    items: nItems,
    epochs,
    seconds: +((performance.now() - t0) / 1000).toFixed(0),
    ...mapR4(m),
    paper: PAPER,
    withinTenPercent: within('precision@20') && within('ndcg@20'),
  };
}

const figures: Record<string, unknown> = { seeds: args.seeds };
for (const name of args.data!.split(',').filter(Boolean)) {
  if (name !== 'movielens' && name !== 'demo')
    throw new Error(`--data: movielens or demo, not ${name}`);
  figures[name] = await dataSet(name);
}
if (args['paper-split']) figures.paperSplit = await paperSplit(args['paper-split']);
if (args['valid-only']) process.exit(0);
const parts = [...args.data!.split(',').filter(Boolean), ...(args['paper-split'] ? ['paper'] : [])];
await writeBenchResult(`gan-quality-${parts.join('-')}`, figures);
