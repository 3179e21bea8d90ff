/**
 * The quality table: does augmentation help, on MovieLens-100K and on the demo data, over
 * several seeds. Per data set and seed, one pipeline run with the defaults (model.family
 * auto, augmentation.policy auto, every source on) and one real-data-only run per family
 * (its model A is that family's figure). Prints, per data set, the mean over seeds of:
 * popularity, ItemKNN, RP3beta, EASE (the baselines), each family's own model A
 * (`bprFamily`..., at the family's defaults, EASE's recency weighting included); the CFGAN
 * generator's validation NDCG@10 and its gate; A and B overall and on sparse users;
 * tail-item recall; and each seed's chosen policy and the 95% interval of its sparse users'
 * change (evaluate's paired bootstrap, as a share of A). Every choice inside the runs is made on
 * validation; the test figures are the evaluate stage's. Run by hand (about 10-20 minutes
 * on 2 cores):
 *
 *   npx tsx bench/movielens/table.ts [--data movielens,demo] [--seeds 1,2,3] [--families bpr,ials,ease]
 *                                    [--family auto]     (the main runs' model.family)
 *                                    [--summaries DIR]   (each main run's summary as JSON)
 *                                    [--config JSON]     (config sections for every run)
 *
 * With `--config '{"preprocess":{"split":"random"}}'` the tables are written with a
 * `-random` suffix: the same data split at random instead of leave-last-out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBenchResult } from '../common/results.ts';
import { ML100K_ITEMS, ml100kRatingsOf, movielens100k } from './data.ts';
import { runPipeline, stageStats } from './pipeline-run.ts';
import type { RunSummary } from './pipeline-run.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'movielens,demo' },
    seeds: { type: 'string', default: '1,2,3' },
    families: { type: 'string', default: 'bpr,ials,ease' },
    // The main runs' model.family: auto (the issue's goals are read on it) or one family
    // (e.g. bpr, the embedded default; its table is written as quality-table-<data>-<family>).
    family: { type: 'string', default: 'auto' },
    // A folder to keep each main run's whole summary in (every stage's stats).
    summaries: { type: 'string' },
    // Config sections for every run, as JSON (e.g. '{"augmentation":{"rankOn":"all"}}').
    config: { type: 'string', default: '{}' },
  },
});
const sections = JSON.parse(args.config) as { preprocess?: { split?: string } };
// Another split of the same data is another table.
const splitSuffix =
  sections.preprocess?.split && sections.preprocess.split !== 'leave-last-out'
    ? `-${sections.preprocess.split}`
    : '';
const seeds = args.seeds.split(',').map(Number);
const families = args.families.split(',').filter(Boolean);

function dataConfig(name: string): Record<string, unknown> {
  if (name === 'demo') return { name: 'quality-demo' };
  if (name !== 'movielens' && name !== 'movielens-dev')
    throw new Error(`--data: movielens, movielens-dev or demo, not ${name}`);
  const dir = movielens100k();
  return {
    name: `quality-${name}`,
    // movielens-dev: without each user's latest positive, to develop on (data.ts).
    data: { source: ml100kRatingsOf(dir, name), items: ML100K_ITEMS(dir) },
  };
}

type Metrics = Record<string, number>;
interface Evaluate {
  metrics: { A: Metrics; B: Metrics };
  segments: Record<
    'sparseUsers' | 'tailItems',
    { A: Metrics; B: Metrics; change?: { ciLow: number; ciHigh: number } }
  >;
  baselines: Record<string, number>;
  promote: boolean;
}

/** One seed's row of the table. */
function seedRow(main: RunSummary & { seconds: number }, familyRuns: Record<string, RunSummary>) {
  const ev = stageStats(main, 'evaluate') as unknown as Evaluate;
  const policy = stageStats(main, 'policy');
  const gan = stageStats(main, 'generateGan');
  const retrain = stageStats(main, 'retrainA');
  return {
    ...Object.fromEntries(Object.entries(ev.baselines).map(([k, v]) => [k, v])),
    // A family's own run (`easeFamily`...), apart from the evaluation's baseline of that name.
    ...Object.fromEntries(
      Object.entries(familyRuns).map(([f, s]) => [
        `${f}Family`,
        (stageStats(s, 'evaluate') as unknown as Evaluate).metrics.A['ndcg@10']!,
      ]),
    ),
    generatorValidNdcg10: gan.generatorValidNdcg10 as number | undefined,
    ganGate: gan.gate as string | undefined,
    family: retrain.family as string,
    A: ev.metrics.A['ndcg@10']!,
    B: ev.metrics.B['ndcg@10']!,
    sparseA: ev.segments.sparseUsers.A['ndcg@10']!,
    sparseB: ev.segments.sparseUsers.B['ndcg@10']!,
    // The bootstrap interval of the sparse users' change, relative to A's mean: whether the
    // seed's lift is told apart from noise (a string, so it is not averaged over seeds).
    sparseLiftCi: liftInterval(ev.segments.sparseUsers),
    tailRecallA: ev.segments.tailItems.A['recall@10']!,
    tailRecallB: ev.segments.tailItems.B['recall@10']!,
    policy: (policy.chosen as string | undefined) ?? 'fixed',
    policyBeatsA: policy.beatsA as boolean | undefined,
    promote: ev.promote,
    seconds: +main.seconds.toFixed(1),
  };
}
type Row = ReturnType<typeof seedRow>;

function liftInterval(seg: Evaluate['segments']['sparseUsers']): string | undefined {
  const a = seg.A['ndcg@10']!;
  if (!seg.change || !(a > 0)) return undefined;
  const pctOf = (x: number) => `${x >= 0 ? '+' : ''}${((x / a) * 100).toFixed(1)}%`;
  return `${pctOf(seg.change.ciLow)}..${pctOf(seg.change.ciHigh)}`;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const pct = (b: number, a: number) => (a > 0 ? ((b - a) / a) * 100 : NaN);

const tables: Record<string, unknown> = {};

/** The means over the seeds so far, the goals, printed and written as a result. */
async function summarise(name: string, rows: Row[]): Promise<void> {
  const seedsDone = seeds.slice(0, rows.length);
  const numeric = Object.keys(rows[0]!).filter((k) =>
    rows.every((r) => typeof r[k as keyof Row] === 'number'),
  );
  const means = Object.fromEntries(
    numeric.map((k) => [k, +mean(rows.map((r) => r[k as keyof Row] as number)).toFixed(4)]),
  );
  const goals = {
    sparseLiftPct: +pct(means.sparseB!, means.sparseA!).toFixed(1),
    overallLiftPct: +pct(means.B!, means.A!).toFixed(1),
    tailRecallDelta: +(means.tailRecallB! - means.tailRecallA!).toFixed(4),
    aVsEase: means.ease !== undefined ? +(means.A! - means.ease).toFixed(4) : null,
  };
  tables[name] = { seeds: seedsDone, means, goals, perSeed: rows };
  console.error(`\n${name}: mean over seeds ${seedsDone.join(', ')} (test NDCG@10 unless said)`);
  for (const [k, v] of Object.entries(means)) console.error(`  ${k.padEnd(22)} ${v}`);
  console.error(
    `  B vs A: sparse users ${goals.sparseLiftPct}% (goal >= +5%), overall ${goals.overallLiftPct}% (goal >= -1%), tail recall ${goals.tailRecallDelta} (goal >= 0)`,
  );
  for (const r of rows)
    console.error(
      `  seed policy: ${r.policy} (beats A on validation: ${r.policyBeatsA}), family ${r.family}, gate ${r.ganGate}; sparse users ${pct(r.sparseB, r.sparseA).toFixed(1)}% (95% CI ${r.sparseLiftCi ?? 'n/a'})`,
    );
  const suffix = (args.family === 'auto' ? '' : `-${args.family}`) + splitSuffix;
  // Where the summaries went is not part of what the table measured.
  await writeBenchResult(
    `quality-table-${name}${suffix}`,
    tables[name] as Record<string, unknown>,
    undefined,
    { outputOnlyArgs: ['--summaries'] },
  );
}

for (const name of args.data.split(',')) {
  const base = dataConfig(name);
  const rows: Row[] = [];
  for (const seed of seeds) {
    process.stderr.write(`[quality] ${name} seed ${seed}: the pipeline with its defaults\n`);
    const main = await runPipeline({
      ...base,
      ...sections,
      seed,
      model: { family: args.family },
    });
    if (args.summaries) {
      mkdirSync(args.summaries, { recursive: true });
      writeFileSync(
        join(args.summaries, `${name}-seed${seed}.json`),
        JSON.stringify(main, null, 2),
      );
    }
    const familyRuns: Record<string, RunSummary> = {};
    for (const family of families) {
      process.stderr.write(`[quality] ${name} seed ${seed}: family ${family} on real data\n`);
      familyRuns[family] = await runPipeline(
        {
          ...base,
          ...sections,
          seed,
          model: { family },
          gan: { enabled: false },
          llm: { enabled: false },
          teacher: { enabled: false },
          registry: { enabled: false },
        },
        ['--until', 'evaluate'],
      );
    }
    rows.push(seedRow(main, familyRuns));
    // Written after every seed, so a long run interrupted keeps what it measured.
    await summarise(name, rows);
  }
}
console.log(JSON.stringify(tables));
