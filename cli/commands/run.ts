import type { Command } from 'commander';
import { loadPipelineConfig, parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { STAGES, progressQuery, taskQueues } from '../../lib/contracts/index.ts';
import { experimentProgressQuery } from '../../lib/contracts/experiment.ts';
import type { StageName } from '../../lib/contracts/index.ts';
import { endedExperimentSummary } from '../../lib/runtime/experiment-client.ts';
import {
  endedRunSummary,
  startPipeline,
  watchPipeline,
} from '../../lib/runtime/pipeline-client.ts';
import type { RunSummary } from '../../lib/runtime/pipeline-client.ts';
import { watchPollers } from '../../lib/runtime/poller-hint.ts';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
import { connectClient } from '../../lib/temporal/connection.ts';
import { GPU_WORKERS_FLAG, parseGpuWorkers } from '../gpu-processes.ts';
import { withClientAndWorker } from '../session.ts';
import { WORKER_ROLE_FLAG, servePythonWorker, serveWorkers } from '../worker-command.ts';
import { guarded, info, printJson } from '../output.ts';
import { plainProgress, progressPrinter } from '../progress.ts';
import { experimentPrinter, printExperiment } from './experiment.ts';

export interface RunFlags {
  config?: string;
  until?: string;
  id?: string;
  wait?: boolean;
  json?: boolean;
  worker?: boolean;
  /** With `worker`: gpu-queue worker processes in all (this one included). @default 1 */
  gpuWorkers?: string | number;
  /** Do not print the summary (the caller prints its own). */
  silent?: boolean;
}

export function printSummary(summary: RunSummary): void {
  info(`run ${summary.workflowId}: ${summary.status} in ${summary.seconds.toFixed(1)} s`);
  for (const s of summary.stages) {
    const stats = Object.entries(s.stats)
      .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
      .slice(0, 8)
      .map(
        ([k, v]) =>
          `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)}`,
      )
      .join(' ');
    info(`  ${s.name.padEnd(12)} ${s.status.padEnd(7)} ${stats}`);
  }
  if (summary.metrics) printMetrics(summary.metrics);
  if (summary.segments) printSegments(summary.segments);
  if (summary.decision) {
    info(summary.decision.promote ? 'decision: PROMOTE B' : 'decision: KEEP A');
    for (const r of summary.decision.reasons.slice(1)) info(`  - ${r}`);
  }
  if (summary.tracking.mlflow) info(`MLflow run: ${summary.tracking.mlflow.url}`);
  const report = summary.stages.find((s) => s.name === 'report')?.outputs['report.html'];
  if (report)
    info(`report: ${report}${summary.tracking.mlflow ? ' (also in the MLflow run, report/)' : ''}`);
  if (summary.tracking.error) info(`MLflow tracking fell behind: ${summary.tracking.error}`);
  if (summary.error) info(`error: ${summary.error}`);
}

/** Test metrics of A and B side by side, with B's relative change. */
function printMetrics(m: NonNullable<RunSummary['metrics']>): void {
  const keys = Object.keys(m.A).filter((k) => !k.startsWith('tail') && Number.isFinite(m.A[k]));
  info(`  ${'metric'.padEnd(14)} ${'A (real)'.padStart(10)} ${'B (augm.)'.padStart(10)}  change`);
  for (const k of keys) info(abRow(k, 14, m.A[k]!, m.B[k] ?? NaN));
}

/** One line of an A-vs-B table: the label, both values and B's relative change. */
function abRow(label: string, width: number, a: number, b: number): string {
  const change = a > 0 ? `${(((b - a) / a) * 100).toFixed(1)}%` : '';
  return `  ${label.padEnd(width)} ${a.toFixed(4).padStart(10)} ${b.toFixed(4).padStart(10)}  ${change}`;
}

/** NDCG@10 per segment: where augmentation is meant to help (sparse users) and the guard rails. */
function printSegments(segments: NonNullable<RunSummary['segments']>): void {
  const words = { sparseUsers: 'sparse users', coldUsers: 'cold users', tailItems: 'tail items' };
  for (const [name, seg] of Object.entries(segments)) {
    const key = name === 'tailItems' ? 'recall@10' : 'ndcg@10';
    const label = `${words[name as keyof typeof words]} ${key}`;
    // An empty segment's means are NaN, null once they have been through JSON.
    if (seg.users === 0) {
      info(`  ${label.padEnd(24)} no users in this segment`);
      continue;
    }
    const a = seg.A[key];
    const b = seg.B[key];
    if (typeof a !== 'number' || typeof b !== 'number') continue;
    info(`${abRow(label, 24, a, b)} (${seg.users} users)`);
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('start a pipeline run')
    .option('-c, --config <file>', 'pipeline config (YAML or JSON); embedded defaults when omitted')
    .option('--until <stage>', `stop after this stage (${STAGES.join(', ')})`)
    .option('--id <workflowId>', 'workflow id (default: <name>-<timestamp>-<random>)')
    .option('--wait', 'wait for the run and show progress')
    .option('--json', 'with --wait: print the run summary as JSON')
    .option('--worker', 'also run a worker in this process for the duration of the run')
    .option(...GPU_WORKERS_FLAG)
    .action((flags: RunFlags) => guarded(async () => void (await executeRun(flags))));

  program
    .command('status <workflowId>')
    .description('per-stage status and timing of a run (per-variant for an experiment)')
    .option('--json', 'print JSON')
    .action((workflowId: string, flags: { json?: boolean }) =>
      guarded(async () => {
        const settings = runtimeSettings();
        const client = await connectClient(settings.temporal);
        try {
          const handle = client.workflow.getHandle(workflowId);
          const desc = await handle.describe();
          const header = `${workflowId}: ${desc.status.name} (started ${desc.startTime.toISOString()})`;
          // An ended run's stages are in its result: no worker has to answer a query (one
          // would wait 30 s for a worker that is not there, then show nothing).
          if (desc.status.name !== 'RUNNING') {
            const summary =
              desc.type === 'experiment'
                ? await endedExperimentSummary(handle)
                : await endedRunSummary(handle);
            if (flags.json)
              return printJson({
                workflowId,
                status: desc.status.name,
                startTime: desc.startTime,
                closeTime: desc.closeTime,
                summary,
              });
            info(header);
            if ('experimentId' in summary) printExperiment(summary);
            else printSummary(summary);
            return;
          }
          const noAnswer = () =>
            info(
              `no worker answered the progress query: start one on the run's task queues (npx augment worker, same TASK_QUEUE_PREFIX) to see per-stage progress`,
            );
          if (desc.type === 'experiment') {
            const progress = await handle.query(experimentProgressQuery).catch(() => undefined);
            if (flags.json) return printJson({ workflowId, status: desc.status.name, progress });
            info(header);
            if (progress) experimentPrinter()(progress);
            else noAnswer();
            return;
          }
          const progress = await handle.query(progressQuery).catch(() => undefined);
          const out = {
            workflowId,
            status: desc.status.name,
            startTime: desc.startTime,
            closeTime: desc.closeTime,
            progress,
          };
          if (flags.json) return printJson(out);
          info(header);
          if (progress) plainProgress()(progress);
          else noAnswer();
        } finally {
          await client.connection.close();
        }
      }),
    );

  program
    .command('worker')
    .description('run a worker until interrupted (Ctrl-C drains in-flight work)')
    .option('--queues <list>', 'task queues to serve: cpu, gpu or cpu,gpu', 'cpu,gpu')
    .option(...WORKER_ROLE_FLAG)
    .option(
      '--python [device]',
      'instead: the Python training worker (queue <prefix>-gpu-py) on auto, cpu or cuda',
    )
    .action((flags: { queues: string; role: string; python?: string | boolean }) =>
      guarded(() =>
        flags.python === undefined
          ? serveWorkers(flags)
          : servePythonWorker(typeof flags.python === 'string' ? flags.python : 'auto'),
      ),
    );
}

/** Starts a run (optionally with an in-process worker) and, with --wait, follows it. */
export async function executeRun(flags: RunFlags): Promise<RunSummary | undefined> {
  if (flags.until && !STAGES.includes(flags.until as StageName)) {
    throw Object.assign(
      new Error(`--until: "${flags.until}" is not a stage (expected one of ${STAGES.join(', ')})`),
      {
        name: 'ConfigError',
      },
    );
  }
  const config = flags.config
    ? loadPipelineConfig(flags.config)
    : parsePipelineConfig({}, 'defaults');
  const settings = runtimeSettings();
  const gpuWorkers = parseGpuWorkers(flags.gpuWorkers);
  return withClientAndWorker(
    settings,
    flags.worker,
    async (client) => {
      const handle = await startPipeline(client, settings, config, {
        workflowId: flags.id,
        until: flags.until as StageName | undefined,
      });
      if (!flags.wait) {
        if (flags.json) printJson({ workflowId: handle.workflowId });
        else
          info(
            `started ${handle.workflowId}; follow it with: npx augment status ${handle.workflowId}`,
          );
        return undefined;
      }
      if (!flags.json) info(`run ${handle.workflowId} started`);
      const queues = taskQueues(settings.temporal.taskQueuePrefix);
      // The activities a worker has started, as the progress poll last saw them.
      let running: string[] = [];
      const stopPollerWatch = watchPollers(client, queues, info, { running: () => running });
      const print = flags.json ? undefined : progressPrinter();
      const summary = await watchPipeline(handle, (p) => {
        running = p.live.filter((a) => !a.waiting).map((a) => a.activity);
        print?.(p);
      }).finally(stopPollerWatch);
      if (!flags.silent) {
        if (flags.json) printJson(summary);
        else printSummary(summary);
      }
      if (summary.status !== 'completed') process.exitCode = 1;
      return summary;
    },
    gpuWorkers,
    config.training.worker === 'python' ? config.training.device : undefined,
  );
}
