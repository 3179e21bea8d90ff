import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import type { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { removeOrphanWorkDirs } from '../activities/work-dirs.ts';
import type { ConnectionSettings } from '../lib/config/env.ts';
import { taskQueues } from '../lib/contracts/index.ts';
import type { QueueKind } from '../lib/contracts/index.ts';
import { createStore } from '../lib/store/index.ts';
import { createTracker } from '../lib/tracking/index.ts';
import { connectWorker, payloadCodecs } from '../lib/temporal/connection.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  settings: ConnectionSettings;
  /** Which queues this process serves. One machine can serve both. */
  queues: QueueKind[];
  /** Concurrent activities per queue. @default cpu 2, gpu 1 */
  maxConcurrentActivities?: Partial<Record<QueueKind, number>>;
  /** Pre-bundled workflow code (tests bundle once per file). */
  workflowBundle?: { code: string };
  connection?: NativeConnection;
  /** Wraps each activity (fault injection in tests, instrumentation). */
  wrapActivity?: <F extends (...args: never[]) => Promise<unknown>>(name: string, fn: F) => F;
}

/**
 * Builds the workers of one process: the cpu queue hosts the workflows and the data
 * stages; the gpu queue hosts training stages. Returns them unstarted.
 */
export async function createWorkers(
  opts: WorkerOptions,
): Promise<{ workers: Worker[]; connection: NativeConnection }> {
  const connection = opts.connection ?? (await connectWorker(opts.settings.temporal));
  await removeOrphanWorkDirs();
  const store = createStore(opts.settings.artifactUri, opts.settings.s3);
  const created = createActivities({
    store,
    s3: opts.settings.s3,
    mlflow: createTracker(opts.settings.mlflow),
    experiment: opts.settings.mlflow.experiment,
  });
  const wrap = opts.wrapActivity;
  const activities = wrap
    ? Object.fromEntries(Object.entries(created).map(([name, fn]) => [name, wrap(name, fn)]))
    : created;
  const queues = taskQueues(opts.settings.temporal.taskQueuePrefix);
  const workers: Worker[] = [];
  for (const kind of opts.queues) {
    workers.push(
      await Worker.create({
        connection,
        namespace: opts.settings.temporal.namespace,
        taskQueue: queues[kind],
        activities,
        dataConverter: { payloadCodecs: payloadCodecs(opts.settings.temporal.payloadKey) },
        // Workflows run on the cpu queue only; gpu workers poll activities alone.
        ...(kind === 'cpu'
          ? opts.workflowBundle
            ? { workflowBundle: opts.workflowBundle }
            : { workflowsPath: WORKFLOWS_PATH }
          : {}),
        // Heartbeat details (epoch, losses, checkpoint) reach the server within a second,
        // so progress bars and operators see current figures, not ones 30-60 s old.
        maxHeartbeatThrottleInterval: '1 second',
        maxConcurrentActivityTaskExecutions:
          opts.maxConcurrentActivities?.[kind] ?? (kind === 'gpu' ? 1 : 2),
      }),
    );
  }
  return { workers, connection };
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
