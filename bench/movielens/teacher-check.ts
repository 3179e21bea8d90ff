/**
 * Do the teacher's pseudo-positives help a family on MovieLens-100K (or the demo data), on
 * the VALIDATION split only (the test split is never read):
 *
 *   npx tsx bench/movielens/teacher-check.ts [--data movielens|demo] [--seeds 1,2,3]
 *                                            [--family ials] [--variants a,b]
 *
 * Per seed: model A on the real train split, then one model per variant, each trained on the
 * real rows plus the teacher's rows built as the policy builds a candidate (resample with the
 * variant's per-user cap and weight). Prints each variant's validation NDCG@10 overall and
 * on sparse users, tail recall, the paired standard error of its sparse-user lift over A,
 * and the lift on each half of the validation users (even / odd user id), then one JSON line.
 * The teacher's own validation figures and how much of what sparse users like lies in the
 * popular head come first. Each model also ranks a probe, the teacher's top 5 for every
 * user: how high A puts them says how much the teacher knows that A does not, and how far
 * a variant lifts them says how much of the teacher the family takes in. Written as
 * bench/results/teacher-check-<data>-<family>.json.
 */
import { parseArgs } from 'node:util';
import { evaluateFullRankingAsync } from '../../lib/eval/index.ts';
import { trainConfigOf } from '../../lib/models/auto-family.ts';
import { trainRecommender } from '../../lib/models/index.ts';
import type { TrainingSet } from '../../lib/models/index.ts';
import { resample } from '../../lib/sampling/index.ts';
import { headItems, proposePseudoPositives } from '../../lib/teacher/index.ts';
import type { TeacherOptions } from '../../lib/teacher/index.ts';
import { validationData } from './validation-data.ts';
import { writeBenchResult } from '../common/results.ts';
import type { AsyncScorer } from '../../lib/eval/index.ts';

interface Variant {
  teacher: Partial<TeacherOptions>;
  perUser: number;
  weight: number;
}

/** Named variants: the policy's own grid and the settings the diagnosis questions. */
const VARIANTS: Record<string, Variant> = {
  'default k2 w0.5': { teacher: {}, perUser: 2, weight: 0.5 },
  'default k2 w1': { teacher: {}, perUser: 2, weight: 1 },
  'default k5 w0.5': { teacher: {}, perUser: 5, weight: 0.5 },
  'default k5 w1': { teacher: {}, perUser: 5, weight: 1 },
  // The quick check: top-3, no head exclusion, no caps, full weight.
  'quick top3 w1': {
    teacher: { excludeTopPopular: 0, maxPerRealItem: 1000 },
    perUser: 1000,
    weight: 1,
  },
  'head0 k3 w0.5': { teacher: { excludeTopPopular: 0 }, perUser: 3, weight: 0.5 },
  'head0 k3 w0.25': { teacher: { excludeTopPopular: 0 }, perUser: 3, weight: 0.25 },
  'head0 k3 w0.1': { teacher: { excludeTopPopular: 0 }, perUser: 3, weight: 0.1 },
  'default k3 w0.25': { teacher: {}, perUser: 3, weight: 0.25 },
  'default k3 w0.1': { teacher: {}, perUser: 3, weight: 0.1 },
  'head1% k3 w0.25': { teacher: { excludeTopPopular: 0.01 }, perUser: 3, weight: 0.25 },
  'head2% k3 w0.25': { teacher: { excludeTopPopular: 0.02 }, perUser: 3, weight: 0.25 },
  'head0 k1 w1': { teacher: { excludeTopPopular: 0, k: 1 }, perUser: 1, weight: 1 },
  'head0 k10 w0.25': { teacher: { excludeTopPopular: 0, k: 10 }, perUser: 10, weight: 0.25 },
  'head0 users0.5 k3 w0.5': {
    teacher: { excludeTopPopular: 0, usersFraction: 0.5 },
    perUser: 3,
    weight: 0.5,
  },
  'head0 users1 k3 w0.25': {
    teacher: { excludeTopPopular: 0, usersFraction: 1 },
    perUser: 3,
    weight: 0.25,
  },
};

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'movielens' },
    seeds: { type: 'string', default: '1,2,3' },
    family: { type: 'string', default: 'ials' },
    variants: { type: 'string' },
  },
});
const names = args.variants ? args.variants.split(',') : Object.keys(VARIANTS);
for (const n of names) if (!VARIANTS[n]) throw new Error(`--variants: unknown ${n}`);

const { config, pre, nUsers, nItems, data, set, validation, teacher } = await validationData(
  args.data!,
  args.family!,
);

// Where the teacher stands on validation, and how much of what sparse users like is popular.
const teacherEval = await evaluateFullRankingAsync(
  { nUsers, nItems, train: data.train, test: data.valid },
  teacher.scorer,
  { ks: [10], excludeValid: false, sparseFraction: config.evaluate.sparseFraction },
);
const head = headItems(data.train, nItems, config.teacher.excludeTopPopular);
const sparseUsers = Int32Array.from(teacherEval.segments.sparseUsers, (q) => teacherEval.users[q]!);
let validInHead = 0;
let validItems = 0;
for (const u of sparseUsers)
  for (let p = data.valid.indptr[u]!; p < data.valid.indptr[u + 1]!; p++) {
    validItems++;
    validInHead += head[data.valid.indices[p]!]!;
  }
const top3 = await teacher.topUnseen(sparseUsers, 3);
let proposedInHead = 0;
for (const i of top3.items) if (i >= 0) proposedInHead += head[i]!;
const teacherFigures = {
  teacher: teacher.name,
  overall: teacherEval.summary.overall['ndcg@10']!,
  sparse: teacherEval.summary.sparseUsers['ndcg@10']!,
  tail: teacherEval.summary.tailItems['recall@10']!,
  sparseValidItemsInHead: validInHead / validItems,
  sparseTop3InHead: proposedInHead / top3.items.length,
};
console.error(
  `teacher on validation: overall ${teacherFigures.overall.toFixed(4)}, sparse ${teacherFigures.sparse.toFixed(4)}, tail ${teacherFigures.tail.toFixed(4)}; sparse users' validation items in the ${config.teacher.excludeTopPopular * 100}% head ${(teacherFigures.sparseValidItemsInHead * 100).toFixed(1)}%, their teacher top-3 ${(teacherFigures.sparseTop3InHead * 100).toFixed(1)}%`,
);

// The probe: the teacher's top 5 unseen items of every user, the head allowed.
const probe = await proposePseudoPositives(data.train, nItems, teacher, {
  ...config.teacher,
  k: 5,
  usersFraction: 1,
  excludeTopPopular: 0,
  maxPerRealItem: 1000,
});

/** Where `model` ranks the probe's items among each user's unseen items: median, share in the top 10. */
async function probeRanks(model: AsyncScorer) {
  const out = new Float32Array(nItems);
  const seen = new Uint8Array(nItems);
  const ranks = new Int32Array(probe.n);
  for (let r = 0; r < probe.n;) {
    const u = probe.user[r]!;
    await model.scoreUsers(Int32Array.of(u), out);
    seen.fill(0);
    for (let p = data.train.indptr[u]!; p < data.train.indptr[u + 1]!; p++)
      seen[data.train.indices[p]!] = 1;
    for (; r < probe.n && probe.user[r] === u; r++) {
      const s = out[probe.item[r]!]!;
      let above = 0;
      for (let j = 0; j < nItems; j++) if (!seen[j] && out[j]! > s) above++;
      ranks[r] = above + 1;
    }
  }
  ranks.sort();
  let top10 = 0;
  for (const k of ranks) if (k <= 10) top10++;
  return { probeMedianRank: ranks[ranks.length >> 1]!, probeTop10: top10 / Math.max(1, probe.n) };
}

/** Per-user validation NDCG@10 and tail recall, and the sparse / tail user positions. */
async function validate(training: TrainingSet, seed: number) {
  const t0 = performance.now();
  const r = await trainRecommender(training, validation, trainConfigOf(config.model, seed));
  const ev = await evaluateFullRankingAsync(
    { nUsers, nItems, train: data.train, test: data.valid },
    r.model,
    { ks: [10], excludeValid: false, sparseFraction: config.evaluate.sparseFraction },
  );
  const probed = await probeRanks(r.model);
  r.model.dispose();
  return {
    ...probed,
    users: ev.users,
    ndcg: ev.perUser['ndcg@10']!,
    sparse: ev.segments.sparseUsers,
    overall: ev.summary.overall['ndcg@10']!,
    sparseNdcg: ev.summary.sparseUsers['ndcg@10']!,
    tail: ev.summary.tailItems['recall@10']!,
    bestEpoch: r.bestEpoch,
    seconds: (performance.now() - t0) / 1000,
  };
}
type Figures = Awaited<ReturnType<typeof validate>>;

/** Sparse-user lift of b over a: mean, paired standard error, and per half (user id parity). */
function lift(a: Figures, b: Figures) {
  const d: number[][] = [[], []];
  for (const q of a.sparse) d[a.users[q]! % 2]!.push(b.ndcg[q]! - a.ndcg[q]!);
  const all = [...d[0]!, ...d[1]!];
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const m = mean(all);
  const se = Math.sqrt(all.reduce((s, v) => s + (v - m) ** 2, 0) / (all.length - 1) / all.length);
  return { diff: m, se, half0: mean(d[0]!), half1: mean(d[1]!) };
}

const rows: Record<string, unknown>[] = [];
for (const seed of args.seeds!.split(',').map(Number)) {
  const a = await validate(set, seed);
  console.error(
    `seed ${seed} A: overall ${a.overall.toFixed(4)}, sparse ${a.sparseNdcg.toFixed(4)}, tail ${a.tail.toFixed(4)}; the teacher's top 5: median rank ${a.probeMedianRank}, ${(a.probeTop10 * 100).toFixed(1)}% in the top 10 (epoch ${a.bestEpoch}, ${a.seconds.toFixed(1)} s)`,
  );
  rows.push({
    seed,
    variant: 'A',
    overall: a.overall,
    sparse: a.sparseNdcg,
    tail: a.tail,
    probeMedianRank: a.probeMedianRank,
    probeTop10: a.probeTop10,
  });
  for (const name of names) {
    const v = VARIANTS[name]!;
    const options: TeacherOptions = { ...config.teacher, ...v.teacher };
    const rowsT = await proposePseudoPositives(data.train, nItems, teacher, options);
    const { b } = resample(
      {
        nUsers,
        nItems,
        train: pre.train,
        synthetic: [{ source: 'teacher', ...rowsT }],
      },
      { ...config.resample, maxSyntheticPerUser: v.perUser, syntheticWeight: v.weight },
      seed,
    );
    const kept = b.n - pre.train.n;
    const f = await validate(b, seed);
    const l = lift(a, f);
    rows.push({
      seed,
      variant: name,
      proposed: rowsT.n,
      kept,
      overall: f.overall,
      sparse: f.sparseNdcg,
      tail: f.tail,
      probeMedianRank: f.probeMedianRank,
      probeTop10: f.probeTop10,
      ...l,
    });
    console.error(
      `  ${name.padEnd(24)} rows ${String(kept).padStart(4)}/${rowsT.n}: overall ${f.overall.toFixed(4)} (${((f.overall / a.overall - 1) * 100).toFixed(1)}%), sparse ${f.sparseNdcg.toFixed(4)} (${((f.sparseNdcg / a.sparseNdcg - 1) * 100).toFixed(1)}%, se ${((l.se / a.sparseNdcg) * 100).toFixed(1)}%, halves ${l.half0.toFixed(4)} / ${l.half1.toFixed(4)}), tail ${f.tail.toFixed(4)}; the teacher's top 5: median rank ${f.probeMedianRank}, ${(f.probeTop10 * 100).toFixed(1)}% in the top 10 (epoch ${f.bestEpoch}, ${f.seconds.toFixed(1)} s)`,
    );
  }
}
console.log(JSON.stringify({ teacher: teacherFigures, rows }));
await writeBenchResult(`teacher-check-${args.data}-${args.family}`, {
  data: args.data,
  family: args.family,
  // The teacher's own validation figures.
  teacherValidation: teacherFigures,
  seeds: args.seeds,
  probe: `the teacher's top 5 of every user (${probe.n} items)`,
  // Per model, the mean over seeds (each seed's figures are printed above).
  ...Object.fromEntries(['A', ...names].map((name) => [name, meansOf(name)])),
});

function meansOf(variant: string): Record<string, number> {
  const mine = rows.filter((r) => r.variant === variant);
  const keys = ['overall', 'sparse', 'tail', 'probeMedianRank', 'probeTop10'];
  return Object.fromEntries(
    keys.map((k) => [
      k,
      +(mine.reduce((s, r) => s + (r[k] as number), 0) / mine.length).toFixed(4),
    ]),
  );
}
