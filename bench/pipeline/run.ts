/**
 * The whole pipeline at growing sizes: per-stage wall time (and, apart, the time inside the
 * activity: one gpu-queue slot serves both augmentation branches in turn, so the second one's
 * wall time includes waiting for the first) and the worker process's RSS,
 * on synthetic logs of 100K, 1M and 10M interactions (run by hand, one size at a time or
 * all):
 *
 *   npx tsx bench/pipeline/run.ts [--sizes 100k,1m,10m] [--gan-epochs 2] [--model-epochs 3]
 *                                 [--llm-epochs 1] [--until preprocess] [--source SOURCE]
 *
 * Training budgets are cut to a few epochs so the big sizes finish in minutes; per-epoch
 * figures (in each training stage's stats) extrapolate to the defaults. The stack is
 * started if needed; a worker for both queues runs in this process on a fresh artifact
 * prefix, so nothing is cached. RSS (and how late each sample's tick came: the longest
 * event-loop stall) is sampled every 100 ms and attributed to the stages
 * running at that moment (the two augmentation branches, and A and B, overlap; RSS is the
 * whole process's, and V8 rarely gives memory back, so it is a running high-water mark).
 * Prints a table per size and ends with one JSON line.
 */
import { parseArgs } from 'node:util';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { progressQuery } from '../../lib/contracts/index.ts';
import type { StageName } from '../../lib/contracts/index.ts';
import { startPipeline, watchPipeline } from '../../lib/runtime/pipeline-client.ts';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
import { resolveStackOptions, stackEnvironment, stackUp } from '../../lib/stack/index.ts';
import { connectClient } from '../../lib/temporal/connection.ts';
import { createWorkers } from '../../workers/start-worker.ts';
import { writeBenchResult } from '../common/results.ts';

const SIZES: Record<string, { users: number; items: number; interactions: number }> = {
  '100k': { users: 2_000, items: 1_000, interactions: 100_000 },
  '1m': { users: 10_000, items: 4_000, interactions: 1_000_000 },
  '10m': { users: 50_000, items: 10_000, interactions: 10_000_000 },
};

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100k,1m,10m' },
    'gan-epochs': { type: 'string', default: '2' },
    'model-epochs': { type: 'string', default: '3' },
    'llm-epochs': { type: 'string', default: '1' },
    until: { type: 'string' },
    /** Any data.source instead of the synthetic log of each size (then one size only). */
    source: { type: 'string' },
  },
});

interface StageFigure {
  stage: StageName;
  status: string;
  /** Wall time in the workflow: waiting for a free worker and retries included. */
  seconds: number;
  /** Inside the activity (the attempt that produced the result). */
  runSeconds: number;
  peakRssMB: number;
  maxStallMs: number;
  stats: Record<string, unknown>;
}

const opts = resolveStackOptions();
await stackUp(opts, (m) => process.stderr.write(`[stack] ${m}\n`));
Object.assign(process.env, stackEnvironment(opts), {
  ARTIFACT_URI: `s3://${opts.bucket}/bench-pipeline-${Date.now().toString(36)}`,
  TASK_QUEUE_PREFIX: `bench-${Date.now().toString(36)}`,
});
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
      gan: { epochs: Number(args['gan-epochs']) },
      llm: { sequence: { epochs: Number(args['llm-epochs']) } },
      model: { epochs: Number(args['model-epochs']) },
    });
    process.stderr.write(`\n[bench] ${size}: ${config.data.source}\n`);
    // RSS samples with their time; each stage's peak is the largest sample within its
    // start..end (workflow time is wall time here), or the first one after a short stage.
    // Each sample also records how late its tick came: the event loop was blocked that long
    // (workflow tasks share this loop; Temporal warns past 5 s and times a task out at 10 s).
    const samples: [number, number, number][] = [];
    let lastTick = Date.now();
    const sampler = setInterval(() => {
      const now = Date.now();
      samples.push([now, process.memoryUsage.rss() / 2 ** 20, Math.max(0, now - lastTick - 100)]);
      lastTick = now;
    }, 100);
    const t0 = performance.now();
    const handle = await startPipeline(client, settings, config, {
      ...(args.until ? { until: args.until as StageName } : {}),
    });
    const summary = await watchPipeline(handle);
    clearInterval(sampler);
    const seconds = (performance.now() - t0) / 1000;
    if (summary.status !== 'completed') throw new Error(`${size}: ${summary.error}`);
    const progress = await handle.query(progressQuery);
    const overall = Math.max(...samples.map((x) => x[1]));
    const peakOf = (start = 0, end = 0) => {
      const inside = samples.filter(([t]) => t >= start && t <= end).map((x) => x[1]);
      return Math.round(
        inside.length ? Math.max(...inside) : (samples.find(([t]) => t >= start)?.[1] ?? 0),
      );
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
        maxStallMs: stallOf(p?.startedAt, p?.endedAt),
        stats: s.stats,
      };
    });
    const pre = stages.find((s) => s.stage === 'preprocess')!.stats;
    process.stderr.write(
      `${size}: ${String(pre.users)} users x ${String(pre.items)} items, ${String(pre.trainRows)} train rows; ${seconds.toFixed(1)} s, peak RSS ${Math.round(overall)} MB\n`,
    );
    for (const s of stages)
      process.stderr.write(
        `  ${s.stage.padEnd(12)} ${s.seconds.toFixed(1).padStart(8)} s (running ${s.runSeconds.toFixed(1).padStart(7)} s)  ${String(s.peakRssMB).padStart(6)} MB  longest event-loop stall ${String(s.maxStallMs).padStart(5)} ms\n`,
      );
    results[size] = {
      seconds: +seconds.toFixed(1),
      peakRssMB: Math.round(overall),
      users: pre.users,
      items: pre.items,
      trainRows: pre.trainRows,
      stages: Object.fromEntries(
        stages.map((s) => [
          s.stage,
          {
            seconds: +s.seconds.toFixed(1),
            runSeconds: +s.runSeconds.toFixed(1),
            peakRssMB: s.peakRssMB,
            maxStallMs: s.maxStallMs,
          },
        ]),
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
const runs = results as Record<string, { stages: Record<string, Record<string, number>> }>;
const byStage = (figure: string) => {
  const table: Record<string, Record<string, number>> = {};
  for (const [size, r] of Object.entries(runs))
    for (const [stage, f] of Object.entries(r.stages)) (table[stage] ??= {})[size] = f[figure]!;
  return table;
};
await writeBenchResult(
  `pipeline-${args.sizes!.split(',').join('-')}${args.until ? `-until-${args.until.toLowerCase()}` : ''}${args.source ? '-source' : ''}`,
  {
    ganEpochs: Number(args['gan-epochs']),
    modelEpochs: Number(args['model-epochs']),
    llmEpochs: Number(args['llm-epochs']),
    ...(args.source ? { source: args.source } : {}),
    runs: Object.fromEntries(Object.entries(runs).map(([size, { stages: _s, ...r }]) => [size, r])),
    'stage seconds (wall, waiting included)': byStage('seconds'),
    'stage seconds inside the activity': byStage('runSeconds'),
    'stage peak RSS (MB)': byStage('peakRssMB'),
    'stage longest event-loop stall (ms)': byStage('maxStallMs'),
  },
);
console.log(JSON.stringify(results));
