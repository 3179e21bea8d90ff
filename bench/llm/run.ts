/**
 * Item-sequence fallback benchmark on the demo data (3,000 users x 1,500 items): training
 * seconds per epoch, then how often its "liked" pick is the user's held-out validation item
 * among that item and 9 random unseen items (chance: 10%), next to a popularity chooser
 * (liked = the most popular candidate), and how often the validation item is "disliked".
 *
 *   npx tsx bench/llm/run.ts [--epochs 8]
 *
 * Both data sets also measure item side information (see side-information.ts): the same
 * question with the item IDs alone and with genres, years and title words mixed in, on the
 * validation split only. `--data movielens` runs it on MovieLens-100K (titles, years and
 * genres from the recbole wheel's ml-100k copy; the pipeline's preprocessing defaults).
 *
 *   npx tsx bench/llm/run.ts --data movielens
 *
 * With `--gguf MODEL.gguf`, a local GGUF model (the gguf provider, CPU) answers the same
 * questions for the first `--users` users (default 200), with their titles and genres: the
 * same hit rates, plus prompts/s and tokens/s. Try a model here before configuring it.
 *
 *   npx tsx bench/llm/run.ts --gguf MODEL.gguf [--users 200] [--threads 0] [--concurrency 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itemCounts } from '../../lib/eval/csr.ts';
import {
  GgufProvider,
  LlmChooser,
  ResponseCache,
  SequenceChooser,
  timeOrderedHistories,
  trainSequenceModel,
} from '../../lib/llm/index.ts';
import type { Choice } from '../../lib/llm/index.ts';
import { LocalArtifactStore } from '../../lib/store/index.ts';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { heldOutChoices } from '../../lib/llm/held-out-choices.ts';
import { ingestToTable, parseSource, preprocess } from '../../lib/data/index.ts';
import { syntheticSplits } from '../../lib/data/synthetic-splits.ts';
import { writeBenchResult } from '../common/results.ts';
import { benchSplits } from '../common/splits.ts';
import { ML100K_ITEMS, ML100K_RATINGS, movielens100k } from '../movielens/data.ts';
import { measureSideInformation } from './side-information.ts';

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(name);
  return k >= 0 ? process.argv[k + 1] : undefined;
}
const config = parsePipelineConfig({}).llm;
const defaults = config.sequence;
const epochs = Number(arg('--epochs') ?? defaults.epochs);
const ggufPath = arg('--gguf');
const movielens = arg('--data') === 'movielens';
if (!['demo', 'movielens', undefined].includes(arg('--data')))
  throw new Error('--data: demo (the default) or movielens');
const { pre, nUsers, nItems, data } = movielens ? await movielensSplits() : demoSplits();

function demoSplits() {
  return syntheticSplits({ users: 3000, items: 1500, interactions: 150_000, seed: 42, kCore: 5 });
}

async function movielensSplits() {
  const dir = movielens100k();
  const ing = await ingestToTable(parseSource(ML100K_RATINGS(dir)), { items: ML100K_ITEMS(dir) });
  const cfg = parsePipelineConfig({});
  const pre = preprocess(
    { table: ing.table, ...ing.idMaps, meta: ing.meta },
    { ...cfg.preprocess, seed: cfg.seed },
  );
  const { nUsers, nItems, data } = benchSplits(pre);
  return { pre, nUsers, nItems, data };
}
const seqs = timeOrderedHistories(pre.train, nUsers);
const held = heldOutChoices(seqs, data.valid, nItems, 7);
let requests = held.requests;
let answers: Choice[];
let chooseSeconds: number;
/** What bench/results records besides the hit rates. */
let run: Record<string, unknown>;
if (ggufPath) {
  requests = requests.slice(0, Number(arg('--users') ?? 200));
  const provider = await GgufProvider.open({
    ...config.gguf,
    modelPath: ggufPath,
    gpu: 'cpu',
    threads: Number(arg('--threads') ?? 0),
    concurrency: Number(arg('--concurrency') ?? 1),
    seed: 42,
    timeoutMs: config.gguf.timeoutSeconds * 1000,
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-llm-'));
  // A fresh cache: every prompt goes to the model.
  const cache = new ResponseCache(new LocalArtifactStore(dir), { bench: Date.now() });
  const chooser = new LlmChooser(provider, cache, pre.meta, {
    concurrency: provider.options.concurrency,
    maxHistoryTokens: config.maxHistoryTokens,
  });
  const t1 = performance.now();
  answers = await chooser.choose(requests);
  chooseSeconds = (performance.now() - t1) / 1000;
  await provider.close();
  rmSync(dir, { recursive: true, force: true });
  const u = chooser.usage();
  const dropped = answers.filter((a) => !a.ok).length;
  console.log(
    `${provider.model} (${provider.device}, ${provider.options.threads || 'all'} threads): ` +
      `${requests.length} prompts in ${chooseSeconds.toFixed(1)} s = ` +
      `${(requests.length / chooseSeconds).toFixed(2)} prompts/s, ` +
      `${((u.promptTokens + u.completionTokens) / chooseSeconds).toFixed(0)} tokens/s ` +
      `(${(u.promptTokens / requests.length).toFixed(0)} prompt + ` +
      `${(u.completionTokens / requests.length).toFixed(1)} answer tokens per prompt); ${dropped} dropped`,
  );
  run = {
    model: provider.model,
    device: provider.device,
    promptsPerSec: +(requests.length / chooseSeconds).toFixed(2),
    tokensPerSec: Math.round((u.promptTokens + u.completionTokens) / chooseSeconds),
    dropped,
  };
} else {
  const t0 = performance.now();
  const model = await trainSequenceModel(seqs, nItems, { ...defaults, epochs, seed: 42 });
  const trainSeconds = (performance.now() - t0) / 1000;
  console.log(
    `users ${nUsers}, items ${nItems}, train rows ${pre.train.n}; ${epochs} epochs in ` +
      `${trainSeconds.toFixed(1)} s (${(trainSeconds / epochs).toFixed(2)} s/epoch, ${model.backend}), ` +
      `final loss ${model.history.at(-1)!.loss.toFixed(3)}`,
  );
  const t1 = performance.now();
  answers = await new SequenceChooser(model).choose(requests);
  chooseSeconds = (performance.now() - t1) / 1000;
  const side = await measureSideInformation({
    model,
    seqs,
    train: data.train,
    valid: data.valid,
    meta: pre.meta,
    nItems,
    perUser: config.candidates,
    sparseThreshold: config.sparseThreshold,
    seed: 7,
  });
  const h = side.heldOutLiked;
  const line = (
    name: string,
    f: (typeof h)['candidates'] & { candidateModelPercent?: number; popularityPercent?: number },
  ) =>
    `  ${name}: ${f.questions} questions, held-out item liked ${f.idsOnlyPercent}% with item IDs only, ` +
    `${f.withSidePercent}% with side information (weights chosen on the other fold: ${f.chosenWeights}); ` +
    `MRR ${f.idsOnlyMrr} -> ${f.withSideMrr}` +
    (f.candidateModelPercent === undefined
      ? ''
      : `; ranked by the candidate model ${f.candidateModelPercent}%, by popularity ${f.popularityPercent}%`);
  console.log(
    [
      `side information: ${side.sideInformationFields} (${side.sideInformationFeatures} features, ` +
        `${side.itemsWithFeatures} items); candidates from ${side.candidateModel} ` +
        `(validation NDCG@10 ${side.candidateModelValidNdcg10})`,
      line('9 random unseen items', h.random),
      line(`${config.candidates} base-model candidates, all users`, h.candidates),
      line(
        `${config.candidates} base-model candidates, users with <= ${config.sparseThreshold} train items`,
        h.candidatesSparseUsers,
      ),
    ].join('\n'),
  );
  run = {
    epochs,
    trainSeconds: +trainSeconds.toFixed(1),
    secondsPerEpoch: +(trainSeconds / epochs).toFixed(2),
    backend: model.backend,
    ...side,
  };
}
const truth = held.truth;
const pop = itemCounts(data.train, nItems);
let liked = 0;
let disliked = 0;
let popular = 0;
answers.forEach((a, r) => {
  const c = requests[r]!.candidates;
  let best = 0;
  for (let j = 1; j < c.length; j++) if (pop[c[j]!]! > pop[c[best]!]!) best = j;
  if (c[best] === truth[r]) popular++;
  if (!a.ok) return;
  if (c[a.liked] === truth[r]) liked++;
  if (c[a.disliked] === truth[r]) disliked++;
});
const n = requests.length;
const pct = (x: number) => `${((100 * x) / n).toFixed(1)}%`;
console.log(
  `held-out item liked: ${pct(liked)} (popularity chooser ${pct(popular)}, chance 10%); ` +
    `disliked: ${pct(disliked)}; ${n} users chosen in ${chooseSeconds.toFixed(2)} s`,
);
const share = (x: number) => +((100 * x) / n).toFixed(1);
const benchName = ggufPath ? 'llm-gguf' : 'llm-sequence';
await writeBenchResult(
  movielens ? `llm-side-information-movielens${ggufPath ? '-gguf' : ''}` : benchName,
  {
    data: movielens ? 'MovieLens-100K' : 'demo',
    users: nUsers,
    items: nItems,
    trainRows: pre.train.n,
    ...run,
    questions: n,
    likedHeldOutPercent: share(liked),
    popularityChooserPercent: share(popular),
    dislikedHeldOutPercent: share(disliked),
    chooseSeconds: +chooseSeconds.toFixed(2),
  },
);
