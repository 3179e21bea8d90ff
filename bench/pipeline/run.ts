/**
 * The whole pipeline at growing sizes: per-stage wall time (and, apart, the time inside the
 * activity: one gpu-queue slot serves both augmentation branches in turn, so the second one's
 * wall time includes waiting for the first) and the worker process's RSS,
 * on synthetic logs of 100K, 1M, 10M and 100M interactions (run by hand, one size at a time
 * or several; 100m is not in the default list):
 *
 *   npx tsx bench/pipeline/run.ts [--sizes 100k,1m,10m,100m] [--gan-epochs 2] [--model-epochs 3]
 *                                 [--llm-epochs 1] [--until preprocess] [--source SOURCE]
 *                                 [--defaults] [--against bench/results/OTHER.json[,...]]
 *
 * Training budgets are cut to a few epochs so the big sizes finish in minutes; per-epoch
 * figures (in each training stage's stats) extrapolate to the defaults. `--defaults` runs
 * the default config instead (nothing cut: what a new user's run costs). Per stage it
 * prints rows/s (the log's interactions over the seconds inside the activity) and, when
 * more than one size ran (or `--against` names earlier results of this bench), the growth
 * of time and memory per row from each size to the next (bench/pipeline/growth.ts). The stack is
 * started if needed; a worker for both queues runs in this process on a fresh artifact
 * prefix, so nothing is cached. RSS (and how late each sample's tick came: the longest
 * event-loop stall) is sampled every 100 ms and attributed to the stages
 * running at that moment (the two augmentation branches, and A and B, overlap; RSS is the
 * whole process's, and V8 rarely gives memory back, so it is a running high-water mark).
 * Prints a table per size and ends with one JSON line.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { progressQuery } from '../../lib/contracts/index.ts';
import type { StageName } from '../../lib/contracts/index.ts';
import { startPipeline, watchPipeline } from '../../lib/runtime/pipeline-client.ts';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
import { benchStackEnv } from '../common/stack.ts';
import { connectClient } from '../../lib/temporal/connection.ts';
import { createWorkers } from '../../workers/start-worker.ts';
import { RESULTS_DIR, writeBenchResult } from '../common/results.ts';
import { growthBetween, rowsPerSecond } from './growth.ts';
import type { SizeRun } from './growth.ts';

const SIZES: Record<string, { users: number; items: number; interactions: number }> = {
  '100k': { users: 2_000, items: 1_000, interactions: 100_000 },
  '1m': { users: 10_000, items: 4_000, interactions: 1_000_000 },
  '10m': { users: 50_000, items: 10_000, interactions: 10_000_000 },
  '100m': { users: 1_000_000, items: 100_000, interactions: 100_000_000 },
};

/** Stats of the training and augmentation stages kept in the result: where their time went. */
const TRAINING_STATS = [
  'epochs',
  'bestEpoch',
  'stoppedEarly',
  'stoppedOnBudget',
  'secondsPerEpoch',
  'family',
  // Whether the GAN's rows reached the policy, and which stages also made rows one step back.
  'gate',
  'oneStepBackRows',
] as const;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100k,1m,10m' },
    'gan-epochs': { type: 'string', default: '2' },
    'model-epochs': { type: 'string', default: '3' },
    'llm-epochs': { type: 'string', default: '1' },
    until: { type: 'string' },
    /** Any data.source instead of the synthetic log of each size (then one size only). */
    source: { type: 'string' },
    /** The default config: no epoch cut (the epoch flags are then refused). */
    defaults: { type: 'boolean', default: false },
    /** Earlier results of this bench (comma-separated) whose sizes join the growth table. */
    against: { type: 'string' },
  },
});
const EPOCH_FLAGS = ['gan-epochs', 'model-epochs', 'llm-epochs'];
if (args.defaults && process.argv.some((a) => EPOCH_FLAGS.some((f) => a.startsWith(`--${f}`))))
  throw new Error(`--defaults runs the default config: leave out --${EPOCH_FLAGS.join(', --')}`);
/** The settings this bench changes from the defaults (none with --defaults). */
const cuts = args.defaults
  ? {}
  : {
      gan: { epochs: Number(args['gan-epochs']) },
      llm: { sequence: { epochs: Number(args['llm-epochs']) } },
      model: { epochs: Number(args['model-epochs']) },
    };

interface StageFigure {
  stage: StageName;
  status: string;
  /** Wall time in the workflow: waiting for a free worker and retries included. */
  seconds: number;
  /** Inside the activity (the attempt that produced the result). */
  runSeconds: number;
  peakRssMB: number;
  /** The process's CPU seconds while the stage ran (shared with stages running beside it). */
  cpuSeconds: number;
  maxStallMs: number;
  stats: Record<string, unknown>;
}

Object.assign(process.env, await benchStackEnv('bench-pipeline'));
const settings = runtimeSettings();
const { workers, connection } = await createWorkers({ settings, queues: ['cpu', 'gpu'] });
const running = workers.map((w) => w.run());
const client = await connectClient(settings.temporal);
const results: Record<string, unknown> = {};
try {
  for (const size of args.sizes!.split(',')) {
    const spec = SIZES[size];
    if (!spec)
      throw new Error(`--sizes: unknown size ${size} (expected ${Object.keys(SIZES).join(', ')})`);
    const config = parsePipelineConfig({
      name: `bench-${size}`,
      data: {
        source:
          args.source ??
          `synthetic:users=${spec.users},items=${spec.items},interactions=${spec.interactions},seed=42`,
      },
      ...cuts,
    });
    process.stderr.write(`\n[bench] ${size}: ${config.data.source}\n`);
    // RSS samples with their time; each stage's peak is the largest sample within its
    // start..end (workflow time is wall time here), or the first one after a short stage.
    // Each sample also records how late its tick came: the event loop was blocked that long
    // (workflow tasks share this loop; Temporal warns past 5 s and times a task out at 10 s).
    // The process's CPU seconds (all threads) too: on a shared machine, wall time follows the
    // load and CPU time much less.
    const samples: [number, number, number, number][] = [];
    const cpuSeconds = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    const cpu0 = cpuSeconds();
    let lastTick = Date.now();
    const sampler = setInterval(() => {
      const now = Date.now();
      samples.push([
        now,
        process.memoryUsage.rss() / 2 ** 20,
        Math.max(0, now - lastTick - 100),
        cpuSeconds(),
      ]);
      lastTick = now;
    }, 100);
    const t0 = performance.now();
    const handle = await startPipeline(client, settings, config, {
      ...(args.until ? { until: args.until as StageName } : {}),
    });
    const summary = await watchPipeline(handle);
    clearInterval(sampler);
    const seconds = (performance.now() - t0) / 1000;
    const runCpuSeconds = cpuSeconds() - cpu0;
    if (summary.status !== 'completed') throw new Error(`${size}: ${summary.error}`);
    const progress = await handle.query(progressQuery);
    const overall = Math.max(...samples.map((x) => x[1]));
    const peakOf = (start = 0, end = 0) => {
      const inside = samples.filter(([t]) => t >= start && t <= end).map((x) => x[1]);
      return Math.round(
        inside.length ? Math.max(...inside) : (samples.find(([t]) => t >= start)?.[1] ?? 0),
      );
    };
    /** CPU seconds of the process from the first sample at or after start to the one at end. */
    const cpuOf = (start = 0, end = 0) => {
      const from = samples.find(([t]) => t >= start)?.[3] ?? cpu0;
      const to = samples.findLast(([t]) => t <= end)?.[3] ?? from;
      return Math.max(0, to - from);
    };
    /** The longest stall seen by a tick inside start..end (a stall ending later counts too). */
    const stallOf = (start = 0, end = 0) =>
      Math.max(0, ...samples.filter(([t, , g]) => t >= start && t - g <= end).map((x) => x[2]));
    const stages: StageFigure[] = summary.stages.map((s) => {
      const p = progress.stages.find((x) => x.name === s.name);
      return {
        stage: s.name,
        status: s.status,
        seconds: s.seconds ?? 0,
        runSeconds: s.runSeconds ?? 0,
        peakRssMB: peakOf(p?.startedAt, p?.endedAt),
        cpuSeconds: +cpuOf(p?.startedAt, p?.endedAt).toFixed(1),
        maxStallMs: stallOf(p?.startedAt, p?.endedAt),
        stats: s.stats,
      };
    });
    // Absent with --until ingest.
    const pre = stages.find((s) => s.stage === 'preprocess')?.stats ?? {};
    const rows = Number(stages.find((s) => s.stage === 'ingest')!.stats.rows);
    process.stderr.write(
      `${size}: ${rows} rows, ${String(pre.users)} users x ${String(pre.items)} items, ${String(pre.trainRows)} train rows; ${seconds.toFixed(1)} s (CPU ${runCpuSeconds.toFixed(1)} s), peak RSS ${Math.round(overall)} MB (load ${loadavg()[0]!.toFixed(2)})\n`,
    );
    for (const s of stages)
      process.stderr.write(
        `  ${s.stage.padEnd(12)} ${s.seconds.toFixed(1).padStart(8)} s (running ${s.runSeconds.toFixed(1).padStart(7)} s, ${String(rowsPerSecond(rows, s.runSeconds)).padStart(9)} rows/s, CPU ${s.cpuSeconds.toFixed(1).padStart(7)} s)  ${String(s.peakRssMB).padStart(6)} MB  longest event-loop stall ${String(s.maxStallMs).padStart(5)} ms\n`,
      );
    results[size] = {
      seconds: +seconds.toFixed(1),
      cpuSeconds: +runCpuSeconds.toFixed(1),
      loadAverage: +loadavg()[0]!.toFixed(2),
      peakRssMB: Math.round(overall),
      rows,
      users: pre.users,
      items: pre.items,
      trainRows: pre.trainRows,
      stages: Object.fromEntries(
        stages.map((s) => [
          s.stage,
          {
            seconds: +s.seconds.toFixed(1),
            runSeconds: +s.runSeconds.toFixed(1),
            rowsPerSecond: rowsPerSecond(rows, s.runSeconds),
            cpuSeconds: s.cpuSeconds,
            peakRssMB: s.peakRssMB,
            maxStallMs: s.maxStallMs,
          },
        ]),
      ),
      // Where each stage's time went: epochs, early stopping, budgets (small stats only).
      training: Object.fromEntries(
        stages
          .filter((s) => [...TRAINING_STATS, 'candidates'].some((k) => k in s.stats))
          .map((s) => [s.stage, { ...pick(s.stats, TRAINING_STATS), ...candidateCounts(s.stats) }]),
      ),
    };
  }
} finally {
  workers.forEach((w) => w.shutdown());
  await Promise.allSettled(running);
  await connection.close();
  await client.connection.close();
}
// One table per figure: stages as rows, sizes as columns.
const runs = results as Record<
  string,
  SizeRun & { stages: Record<string, Record<string, number>> }
>;
const byStage = (figure: string) => {
  const table: Record<string, Record<string, number>> = {};
  for (const [size, r] of Object.entries(runs))
    for (const [stage, f] of Object.entries(r.stages)) (table[stage] ??= {})[size] = f[figure]!;
  return table;
};
const earlier = Object.assign(
  {},
  ...(args.against?.split(',') ?? []).map((path) => againstRuns(path)),
) as Record<string, SizeRun>;
const growth = growthBetween({ ...earlier, ...runs });
for (const g of growth) {
  process.stderr.write(
    `\ngrowth ${g.from} -> ${g.to} (${g.rowsRatio}x rows), per row: time x${g.timePerRow}, peak RSS x${g.memoryPerRow}\n`,
  );
  for (const [stage, f] of Object.entries(g.stages))
    process.stderr.write(
      `  ${stage.padEnd(12)} time/row x${String(f.timePerRow).padEnd(7)} memory/row x${f.memoryPerRow}\n`,
    );
}
const mode = args.defaults ? '-defaults' : '';
await writeBenchResult(
  `pipeline${mode}-${args.sizes!.split(',').join('-')}${args.until ? `-until-${args.until.toLowerCase()}` : ''}${args.source ? '-source' : ''}`,
  {
    ...(args.defaults
      ? { config: 'defaults' }
      : {
          ganEpochs: Number(args['gan-epochs']),
          modelEpochs: Number(args['model-epochs']),
          llmEpochs: Number(args['llm-epochs']),
        }),
    ...(args.source ? { source: args.source } : {}),
    runs: Object.fromEntries(Object.entries(runs).map(([size, { stages: _s, ...r }]) => [size, r])),
    'stage seconds (wall, waiting included)': byStage('seconds'),
    'stage seconds inside the activity': byStage('runSeconds'),
    'stage rows/s inside the activity': byStage('rowsPerSecond'),
    'stage CPU seconds of the process (shared by stages side by side)': byStage('cpuSeconds'),
    'stage peak RSS (MB)': byStage('peakRssMB'),
    'stage longest event-loop stall (ms)': byStage('maxStallMs'),
    ...(growth.length ? { growth, ...(args.against ? { against: args.against } : {}) } : {}),
  },
);
console.log(JSON.stringify(results));

/**
 * The sizes of an earlier result of this bench, for the growth table: their runs' rows,
 * seconds and peak RSS, and each stage's seconds inside the activity and peak RSS.
 */
function againstRuns(path: string): Record<string, SizeRun> {
  const file = path.includes('/') ? path : join(RESULTS_DIR, path);
  const figures = (JSON.parse(readFileSync(file, 'utf8')) as { figures: Record<string, unknown> })
    .figures as {
    runs: Record<string, { rows?: number; seconds: number; peakRssMB: number }>;
    'stage seconds inside the activity': Record<string, Record<string, number>>;
    'stage peak RSS (MB)': Record<string, Record<string, number>>;
  };
  const out: Record<string, SizeRun> = {};
  for (const [size, r] of Object.entries(figures.runs)) {
    const rows = r.rows ?? SIZES[size]?.interactions;
    if (!rows) throw new Error(`--against ${path}: size ${size} does not say its rows`);
    const stages: SizeRun['stages'] = {};
    for (const [stage, bySize] of Object.entries(figures['stage seconds inside the activity']))
      if (bySize[size] !== undefined)
        stages[stage] = {
          runSeconds: bySize[size],
          peakRssMB: figures['stage peak RSS (MB)'][stage]?.[size] ?? 0,
        };
    out[size] = { rows, seconds: r.seconds, peakRssMB: r.peakRssMB, stages };
  }
  return out;
}

function pick(stats: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in stats).map((k) => [k, stats[k]]));
}

/** The policy stage's candidates: how many were trained, how many skipped (by its budget). */
function candidateCounts(stats: Record<string, unknown>): Record<string, number> {
  if (!Array.isArray(stats.candidates)) return {};
  const list = stats.candidates as { skipped?: unknown }[];
  const skipped = list.filter((c) => c.skipped).length;
  return { candidatesTrained: list.length - skipped, candidatesSkipped: skipped };
}
