/**
 * Item-sequence fallback benchmark on the demo data (3,000 users x 1,500 items): training
 * seconds per epoch, then how often its "liked" pick is the user's held-out validation item
 * among that item and 9 random unseen items (chance: 10%), next to a popularity chooser
 * (liked = the most popular candidate), and how often the validation item is "disliked".
 *
 *   npx tsx bench/llm/run.ts [--epochs 8]
 */
import { itemCounts } from '../../lib/eval/csr.ts';
import { SequenceChooser, timeOrderedHistories, trainSequenceModel } from '../../lib/llm/index.ts';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { heldOutChoices } from '../../tests/helpers/held-out-choices.ts';
import { syntheticSplits } from '../../tests/helpers/synthetic-splits.ts';

const k = process.argv.indexOf('--epochs');
const defaults = parsePipelineConfig({}).llm.sequence;
const epochs = k >= 0 ? Number(process.argv[k + 1]) : defaults.epochs;
const { pre, nUsers, nItems, data } = syntheticSplits({
  users: 3000,
  items: 1500,
  interactions: 150_000,
  seed: 42,
  kCore: 5,
});
const seqs = timeOrderedHistories(pre.train, nUsers);
const t0 = performance.now();
const model = await trainSequenceModel(seqs, nItems, { ...defaults, epochs, seed: 42 });
const trainSeconds = (performance.now() - t0) / 1000;

const { requests, truth } = heldOutChoices(seqs, data.valid, nItems, 7);
const t1 = performance.now();
const answers = await new SequenceChooser(model).choose(requests);
const chooseSeconds = (performance.now() - t1) / 1000;
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
  `users ${nUsers}, items ${nItems}, train rows ${pre.train.n}; ${epochs} epochs in ` +
    `${trainSeconds.toFixed(1)} s (${(trainSeconds / epochs).toFixed(2)} s/epoch, ${model.backend}), ` +
    `final loss ${model.history.at(-1)!.loss.toFixed(3)}`,
);
console.log(
  `held-out item liked: ${pct(liked)} (popularity chooser ${pct(popular)}, chance 10%); ` +
    `disliked: ${pct(disliked)}; ${n} users chosen in ${chooseSeconds.toFixed(2)} s`,
);
