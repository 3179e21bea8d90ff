/**
 * How `model.family: auto` chooses, on MovieLens-100K (or the demo data), on the VALIDATION
 * split only (the test split is never read):
 *
 *   npx tsx bench/movielens/family-check.ts [--data movielens|demo] [--seeds 1,2,3]
 *                                           [--candidates bpr,ials,ease]
 *
 * Per seed and candidate family: the rule auto uses (early-stopped on the selection half of
 * the validation users, ranked on the confirmation half; lib/models/auto-family.ts) with
 * both halves' NDCG@10, and the one-split rule (early-stopped and ranked on all validation
 * users, where an iterative family's figure is its best epoch on the users it is ranked on)
 * with its NDCG@10 and the same model's NDCG@10 on the confirmation half alone. Then which
 * family each rule picks. Figures go to bench/results/family-check-<data>.json (or
 * BENCH_RESULTS_DIR).
 */
import { parseArgs } from 'node:util';
import { familyCandidates, parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { keepRows } from '../../lib/eval/csr.ts';
import { chooseFamily, familyChoiceHalves, trainConfigOf } from '../../lib/models/auto-family.ts';
import { trainRecommender } from '../../lib/models/index.ts';
import { validationNdcg10 } from '../../lib/models/validation-score.ts';
import { writeBenchResult } from '../common/results.ts';
import { validationData } from './validation-data.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'movielens' },
    seeds: { type: 'string', default: '1,2,3' },
    candidates: { type: 'string' },
  },
});

const { set, validation } = await validationData(args.data!, 'auto');
const model = parsePipelineConfig({
  model: {
    family: 'auto',
    ...(args.candidates ? { candidates: args.candidates.split(',') } : {}),
  },
}).model;

/** The family with the highest figure (the first on ties), as both rules break ties. */
const argmax = (rows: { family: string; score: number }[]) =>
  rows.reduce((a, b) => (b.score > a.score ? b : a)).family;

const rows: Record<string, unknown>[] = [];
const picks: { seed: number; oneSplit: string; halves: string }[] = [];
for (const seed of args.seeds!.split(',').map(Number)) {
  const configs = familyCandidates(model).map((m) => trainConfigOf(m, seed));
  const halves = familyChoiceHalves(validation, seed);
  const confirmation = {
    train: validation.train,
    valid: keepRows(validation.valid, halves.confirmation),
  };
  const choice = await chooseFamily(set, validation, configs);
  const oneSplit: { family: string; score: number }[] = [];
  console.error(
    `seed ${seed} (${halves.selection.length} selection / ${halves.confirmation.length} confirmation users)`,
  );
  for (const config of configs) {
    const t0 = performance.now();
    const r = await trainRecommender(set, validation, config);
    const onConfirmation = await validationNdcg10(r.model, confirmation);
    r.model.dispose();
    const c = choice.candidates.find((x) => x.family === config.family)!;
    oneSplit.push({ family: config.family, score: r.bestValidNdcg10 });
    const row = {
      seed,
      family: config.family,
      selectionNdcg10: c.selectionNdcg10,
      confirmationNdcg10: c.confirmationNdcg10,
      bestEpoch: c.bestEpoch,
      oneSplitNdcg10: r.bestValidNdcg10,
      oneSplitConfirmationNdcg10: onConfirmation,
      oneSplitBestEpoch: r.bestEpoch,
    };
    rows.push(row);
    const f = (x?: number) => (x ?? NaN).toFixed(4);
    console.error(
      `  ${config.family.padEnd(6)} halves: selection ${f(c.selectionNdcg10)} (epoch ${c.bestEpoch}), confirmation ${f(c.confirmationNdcg10)} | one split: all ${f(r.bestValidNdcg10)} (epoch ${r.bestEpoch}), its confirmation users ${f(onConfirmation)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  const pick = { seed, oneSplit: argmax(oneSplit), halves: choice.chosen.family };
  picks.push(pick);
  console.error(`  picks: one-split rule ${pick.oneSplit}, halves rule ${pick.halves}`);
}
console.log(JSON.stringify({ data: args.data, picks }));
await writeBenchResult(`family-check-${args.data}`, { data: args.data, rows, picks });
