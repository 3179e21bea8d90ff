import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import type { NativeConnection } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/index.ts';
import { removeOrphanWorkDirs } from '../activities/work-dirs.ts';
import { preloadCodeIdentities } from '../lib/code-identity/index.ts';
import type { ConnectionSettings } from '../lib/config/env.ts';
import { taskQueues } from '../lib/contracts/index.ts';
import type { QueueKind } from '../lib/contracts/index.ts';
import { createStore } from '../lib/store/index.ts';
import { createTracker } from '../lib/tracking/index.ts';
import { connectWorker, payloadCodecs } from '../lib/temporal/connection.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** The workflow bundle `npm run build` writes beside the compiled tree (dist/). */
const PREBUILT_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/**
 * What a worker process runs: workflow tasks, activity tasks or both. Workflow tasks must
 * answer within seconds, so a process that runs CPU-heavy activities should not host them
 * (cli/worker-processes.ts starts the two in separate processes).
 */
export type WorkerRole = 'workflows' | 'activities' | 'both';

export interface WorkerOptions {
  settings: ConnectionSettings;
  /** Which queues this process serves. One machine can serve both. */
  queues: QueueKind[];
  /** Concurrent activities per queue. @default cpu 2, gpu 1 */
  maxConcurrentActivities?: Partial<Record<QueueKind, number>>;
  /** What this process runs. @default 'both' */
  role?: WorkerRole;
  /**
   * Pre-bundled workflow code (tests bundle once per file). @default the build's bundle when
   * running compiled, otherwise the workflows bundled at start
   */
  workflowBundle?: { code: string } | { codePath: string };
  connection?: NativeConnection;
  /** Wraps each activity (fault injection in tests, instrumentation). */
  wrapActivity?: <F extends (...args: never[]) => Promise<unknown>>(name: string, fn: F) => F;
}

/**
 * What this process reports to Temporal as its identity, and what each stage it runs
 * records as `worker` in the run summary and the stage's MLflow run:
 * `<host>:<pid>:<role>:<queues>`, e.g. `gpu-node-3:4121:activities:gpu`.
 */
export function workerIdentity(role: WorkerRole, queues: QueueKind[]): string {
  return `${hostname()}:${process.pid}:${role}:${queues.join('+')}`;
}

/**
 * Builds the workers of one process: the cpu queue hosts the workflows and the data
 * stages; the gpu queue hosts training stages. Returns them unstarted.
 */
export async function createWorkers(
  opts: WorkerOptions,
): Promise<{ workers: Worker[]; connection: NativeConnection; identity: string }> {
  const connection = opts.connection ?? (await connectWorker(opts.settings.temporal));
  await removeOrphanWorkDirs();
  const role = opts.role ?? 'both';
  // Stage keys hash the code this process loaded: take its identity before anything runs.
  if (role !== 'workflows') preloadCodeIdentities();
  const deps: ActivityDeps = {
    store: createStore(opts.settings.artifactUri, opts.settings.s3),
    s3: opts.settings.s3,
    mlflow: createTracker(opts.settings.mlflow),
    experiment: opts.settings.mlflow.experiment,
  };
  // Loaded only where activities run: a workflows-only process starts ~0.6 s sooner.
  const { createQueueActivities } =
    role === 'workflows'
      ? { createQueueActivities: undefined }
      : await import('../activities/index.ts');
  const wrap = opts.wrapActivity;
  // Each queue's worker registers only that queue's activities, so a task routed to the
  // wrong queue fails loudly instead of running on a machine not meant for it.
  const activitiesOf = (kind: QueueKind) => {
    const created: Record<string, (...args: never[]) => Promise<unknown>> =
      createQueueActivities?.[kind](deps) ?? {};
    return wrap
      ? Object.fromEntries(Object.entries(created).map(([name, fn]) => [name, wrap(name, fn)]))
      : created;
  };
  const queues = taskQueues(opts.settings.temporal.taskQueuePrefix);
  const identity = workerIdentity(role, opts.queues);
  const workers: Worker[] = [];
  for (const kind of opts.queues) {
    // Workflows run on the cpu queue only: a workflows-only process has no gpu worker.
    const hostsWorkflows = kind === 'cpu' && role !== 'activities';
    if (!hostsWorkflows && role === 'workflows') continue;
    workers.push(
      await Worker.create({
        connection,
        namespace: opts.settings.temporal.namespace,
        taskQueue: queues[kind],
        identity,
        activities: activitiesOf(kind),
        dataConverter: { payloadCodecs: payloadCodecs(opts.settings.temporal.payloadKey) },
        ...(hostsWorkflows ? workflowSource(opts) : {}),
        // Heartbeat details (epoch, losses, checkpoint) reach the server within a second,
        // so progress bars and operators see current figures, not ones 30-60 s old.
        maxHeartbeatThrottleInterval: '1 second',
        maxConcurrentActivityTaskExecutions:
          opts.maxConcurrentActivities?.[kind] ?? (kind === 'gpu' ? 1 : 2),
      }),
    );
  }
  return { workers, connection, identity };
}

/** Where the cpu worker's workflow code comes from: compiled workers never bundle at start. */
function workflowSource(
  opts: WorkerOptions,
): { workflowBundle: { code: string } | { codePath: string } } | { workflowsPath: string } {
  if (opts.workflowBundle) return { workflowBundle: opts.workflowBundle };
  if (import.meta.url.endsWith('.js') && existsSync(PREBUILT_BUNDLE))
    return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
  return { workflowsPath: WORKFLOWS_PATH };
}

/** Runs workers until SIGINT/SIGTERM, then drains in-flight activities and exits. */
export async function runWorkers(opts: WorkerOptions): Promise<void> {
  const { workers, connection } = await createWorkers(opts);
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await connection.close();
  }
}
