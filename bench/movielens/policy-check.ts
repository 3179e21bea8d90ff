/**
 * The policy search of the pipeline on the teacher source, on the VALIDATION split only (the
 * test split is never read), over several seeds:
 *
 *   npx tsx bench/movielens/policy-check.ts [--data movielens|movielens-dev|demo] [--seeds 1,2,3]
 *                                           [--family ials] [--set '{"weights":[0.5,1]}']
 *                                           [--teacher '{"k":10}'] [--screen on|off]
 *                                           [--blend on|off] [--shift on|off]
 *
 * Per seed: the teacher's rows as configured and with the popular head allowed, the grid of
 * `augmentation` (optionally overridden with --set), one model per candidate early-stopped on
 * the selection half, and the choice (lib/policy). Prints each candidate's sparse-user lift
 * over A on all validation users, on the selection half and on the confirmation half, the
 * pick ranked on the selection half and whether it was confirmed, and the pick ranked on
 * every validation user (`augmentation.rankOn: all`); then the winner's curse in numbers:
 * the mean lift of the selection-half pick on the half it was chosen on and on the other
 * one, and what the every-user pick reports for itself. Ends with one JSON line (every
 * candidate's lifts) and writes the per-seed picks and times as
 * `policy-check-<data>-<family>-screen-<on|off>`.
 *
 * `--screen off` trains every candidate with the whole search of its family instead of the
 * settings A chose (EASE: A's lambda; lib/policy/validation.ts; `augmentation.screen`), to
 * compare the two. `--blend on` lets a blend of the baselines be the teacher when it beats the
 * best of them on validation (`teacher.blend`, lib/models/baselines/blend.ts). `--shift on`
 * trains the candidates with the teacher's proposals one step back, as the pipeline's policy
 * does on a leave-last-out split (`teacher.oneStepBack`, lib/teacher/one-step-back.ts).
 */
import { parseArgs } from 'node:util';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { trainConfigOf } from '../../lib/models/auto-family.ts';
import {
  choosePolicy,
  policyCandidates,
  policyScorer,
  searchPolicy,
  TEACHER_WITH_HEAD,
  validationHalves,
} from '../../lib/policy/index.ts';
import { resample } from '../../lib/sampling/index.ts';
import type { SyntheticSource } from '../../lib/sampling/index.ts';
import { proposePseudoPositives, teacherOneStepBack } from '../../lib/teacher/index.ts';
import type { PseudoPositives } from '../../lib/teacher/index.ts';
import { validationData } from './validation-data.ts';
import { blendLabel } from '../../lib/models/baselines/blend.ts';
import { writeBenchResult } from '../common/results.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'movielens' },
    seeds: { type: 'string', default: '1,2,3' },
    family: { type: 'string', default: 'ials' },
    set: { type: 'string', default: '{}' },
    teacher: { type: 'string', default: '{}' },
    screen: { type: 'string', default: 'on' },
    blend: { type: 'string', default: 'off' },
    shift: { type: 'string', default: 'off' },
  },
});
const { config, pre, nUsers, nItems, data, validation, teacher } = await validationData(
  args.data!,
  args.family!,
  args.blend === 'on',
);
const augmentation = parsePipelineConfig({
  augmentation: JSON.parse(args.set!) as object,
}).augmentation;
const stepBack = teacherOneStepBack(data.train, validation.trainRecency!, nItems, teacher);
const proposals = (excludeTopPopular: number, shift: boolean) => {
  const options = {
    ...config.teacher,
    ...(JSON.parse(args.teacher!) as object),
    excludeTopPopular,
  };
  if (!shift) return proposePseudoPositives(data.train, nItems, teacher, options);
  if (!stepBack) throw new Error('--shift on: this teacher cannot leave history rows out');
  return proposePseudoPositives(stepBack.history, nItems, stepBack.teacher, options);
};
/** Share of the users given rows whose validation item is one of them. */
const validationItemProposed = (rows: PseudoPositives) => {
  const users = new Set<number>();
  const hit = new Set<number>();
  for (let r = 0; r < rows.n; r++) {
    const u = rows.user[r]!;
    users.add(u);
    const own = data.valid.indices.subarray(data.valid.indptr[u]!, data.valid.indptr[u + 1]!);
    if (own.includes(rows.item[r]!)) hit.add(u);
  }
  return (hit.size / Math.max(1, users.size)) * 100;
};
// The real proposals aim at the validation step; one step back they aim before it, as the
// real ones aim before the test step (lib/teacher/one-step-back.ts).
const real = await proposals(config.teacher.excludeTopPopular, false);
const oneStepBack = await proposals(config.teacher.excludeTopPopular, true);
const proposedHits = {
  real: validationItemProposed(real),
  oneStepBack: validationItemProposed(oneStepBack),
};
console.error(
  `the teacher's proposals are the user's validation item for ${proposedHits.real.toFixed(1)}% of the users given rows; made one step back, for ${proposedHits.oneStepBack.toFixed(1)}%`,
);
const configured: SyntheticSource = {
  source: 'teacher',
  ...(args.shift === 'on' ? oneStepBack : real),
};
const head: SyntheticSource = {
  source: 'teacher',
  ...(await proposals(0, args.shift === 'on')),
};
const candidates = policyCandidates(['teacher'], augmentation, [TEACHER_WITH_HEAD]);
const segments = {
  sparseFraction: config.evaluate.sparseFraction,
  tailFraction: config.evaluate.tailFraction,
  coldThreshold: config.evaluate.coldThreshold,
  alpha: config.evaluate.alpha,
};
const guard = {
  maxDrop: config.evaluate.maxDrop,
  minSegmentUsers: config.evaluate.minSegmentUsers,
};
const lift = (x: number, a: number) => (x / a - 1) * 100;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;

const perSeed = [];
for (const seed of args.seeds!.split(',').map(Number)) {
  const halves = validationHalves(data.train, data.valid, segments.sparseFraction, seed);
  const train = trainConfigOf(config.model, seed);
  const scorer = policyScorer(validation, halves, train, segments, {
    screen: args.screen !== 'off',
  });
  const result = await searchPolicy(
    candidates,
    {
      build: (sources, overrides) => {
        // No source: A.
        const synthetic = sources.map((s) => (s === TEACHER_WITH_HEAD ? head : configured));
        const { b } = resample(
          { nUsers, nItems, train: pre.train, synthetic },
          { ...config.resample, ...overrides },
          seed,
        );
        return { set: b, syntheticRows: b.n - pre.train.n };
      },
      score: (set, of) => scorer.score(set, of),
    },
    augmentation.budgetSeconds,
    guard,
    // The halves' own rule; the rule that ranks on every user is compared below.
    'selection',
  );
  const a = result.a;
  console.error(
    `seed ${seed} (candidates screened at ${JSON.stringify(scorer.screenedAt())}, ${result.seconds.toFixed(0)} s): A sparse ${a.sparseNdcg10.toFixed(4)} (selection ${a.selection.sparseNdcg10.toFixed(4)}, confirmation ${a.confirmation.sparseNdcg10.toFixed(4)}), overall ${a.ndcg10.toFixed(4)}`,
  );
  const rows = [];
  for (const c of result.candidates) {
    const v = c.valid!;
    const row = {
      label: c.label,
      sparse: lift(v.sparseNdcg10, a.sparseNdcg10),
      selection: lift(v.selection.sparseNdcg10, a.selection.sparseNdcg10),
      confirmation: lift(v.confirmation.sparseNdcg10, a.confirmation.sparseNdcg10),
      overall: lift(v.ndcg10, a.ndcg10),
      tail: v.tailRecall10 - a.tailRecall10,
    };
    rows.push(row);
    console.error(
      `  ${c.label.padEnd(22)} sparse ${pct(row.sparse)} (selection ${pct(row.selection)}, confirmation ${pct(row.confirmation)}), overall ${pct(row.overall)}, tail ${row.tail >= 0 ? '+' : ''}${row.tail.toFixed(4)}`,
    );
  }
  // The same candidates ranked on every validation user (augmentation.rankOn: all).
  const single = choosePolicy(a, result.candidates, guard, 'all');
  const pick = rows.find((r) => r.label === result.choice.chosen)!;
  const singlePick = rows.find((r) => r.label === single.chosen)!;
  console.error(
    `  pick on the selection half ${pick.label}: ${result.choice.beatsA ? 'confirmed' : 'not confirmed'}; ranked on every user the pick would be ${singlePick.label} (sparse ${pct(singlePick.sparse)}, ${single.beatsA ? 'a lift on both halves' : 'not on both halves'})`,
  );
  perSeed.push({
    seed,
    screenedAt: scorer.screenedAt(),
    seconds: result.seconds,
    pick: pick.label,
    confirmed: result.choice.beatsA,
    pickSelection: pick.selection,
    pickConfirmation: pick.confirmation,
    singlePick: singlePick.label,
    singlePickSparse: singlePick.sparse,
    candidates: rows,
  });
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const curse = {
  pickOnSelectionHalf: mean(perSeed.map((s) => s.pickSelection)),
  pickOnConfirmationHalf: mean(perSeed.map((s) => s.pickConfirmation)),
  singlePickOnAllUsers: mean(perSeed.map((s) => s.singlePickSparse)),
  confirmed: perSeed.filter((s) => s.confirmed).length,
};
console.error(
  `mean sparse-user lift of the pick: ${pct(curse.pickOnSelectionHalf)} on the half it was chosen on, ${pct(curse.pickOnConfirmationHalf)} on the confirmation half (${curse.confirmed} of ${perSeed.length} confirmed); a choice on all users reports ${pct(curse.singlePickOnAllUsers)} for its own pick`,
);
const round = (x: number) => Number(x.toFixed(1));
const variant = `${args.blend === 'on' ? '-blend' : ''}${args.shift === 'on' ? '-shift' : ''}`;
const allLifts = perSeed.flatMap((s) => s.candidates.map((c) => c.sparse));
await writeBenchResult(`policy-check-${args.data}-${args.family}-screen-${args.screen}${variant}`, {
  data: args.data,
  family: args.family,
  screen: args.screen,
  teacher: `${teacher.blend ? blendLabel(teacher.blend.parts) : teacher.name} (validation NDCG@10 ${teacher.validNdcg10.toFixed(4)})`,
  // Every candidate's sparse-user lift over A on every validation user, mean over seeds too.
  meanCandidateSparseLift: round(mean(allLifts)),
  // % of the users given rows whose validation item the teacher proposed, and one step back.
  validationItemProposed: round(proposedHits.real),
  validationItemProposedOneStepBack: round(proposedHits.oneStepBack),
  pickLiftOnConfirmationHalf: round(curse.pickOnConfirmationHalf),
  candidates: candidates.length,
  seeds: perSeed.map((s) => s.seed).join(', '),
  // One entry per seed, in seed order, so the results of --screen on and off sit side by side.
  secondsPerSeed: perSeed.map((s) => round(s.seconds)).join(', '),
  meanSeconds: round(mean(perSeed.map((s) => s.seconds))),
  screenedAt: perSeed.map((s) => s.screenedAt.relativeLambda ?? 'none').join(', '),
  pickOnSelectionHalf: perSeed
    .map((s) => `${s.pick} (${s.confirmed ? 'confirmed' : 'not confirmed'})`)
    .join('; '),
  pickOnAllUsers: perSeed.map((s) => `${s.singlePick} (${pct(s.singlePickSparse)})`).join('; '),
});
console.log(
  JSON.stringify({
    data: args.data,
    family: args.family,
    screen: args.screen,
    augmentation,
    curse,
    perSeed,
  }),
);
