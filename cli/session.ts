import type { Client } from '@temporalio/client';
import type { ConnectionSettings } from '../lib/config/env.ts';
import { connectClient } from '../lib/temporal/connection.ts';
import { createWorkers } from '../workers/start-worker.ts';
import { activityProcesses } from './gpu-processes.ts';
import { startWorkerProcesses } from './worker-processes.ts';
import { startPythonWorker } from './python-worker.ts';
import type { TrainingDevice } from './python-worker.ts';
import { info } from './output.ts';

/**
 * A Temporal client and - with `worker` - workers for both queues for the length of `body`
 * (`run --worker`, `experiment --worker`, the demo): the workflows run in this process, the
 * activities in child processes (cli/worker-processes.ts says why). Workers drain and
 * everything is closed afterwards, whatever `body` did.
 */
export async function withClientAndWorker<T>(
  settings: ConnectionSettings,
  worker: boolean | undefined,
  body: (client: Client) => Promise<T>,
  /** gpu-queue worker processes in all (see gpu-processes.ts). */
  gpuProcesses = 1,
  /** With `worker`: also start the Python training worker, training on this device. */
  python?: TrainingDevice,
): Promise<T> {
  // The activity processes start first: they load while this one connects.
  const children = worker ? startWorkerProcesses(activityProcesses(gpuProcesses), info) : undefined;
  const pythonWorker = worker && python ? startPythonWorker(settings, python, info) : undefined;
  let client: Client | undefined;
  let local: Awaited<ReturnType<typeof createWorkers>> | undefined;
  let running: Promise<void>[] = [];
  try {
    client = await connectClient(settings.temporal);
    local = worker
      ? await createWorkers({ settings, queues: ['cpu'], role: 'workflows' })
      : undefined;
    running = local?.workers.map((w) => w.run()) ?? [];
    // Work waits on the server until the activity processes poll; a process that dies
    // ends the session rather than leaving the run waiting here.
    const dead = [children?.failed, pythonWorker?.failed].filter((p) => p !== undefined);
    const lost = dead.length
      ? Promise.race(dead).catch((err: Error) => {
          throw new Error(
            `${err.message}. The run goes on once a worker serves its queues: npx augment worker`,
          );
        })
      : undefined;
    return await (lost ? Promise.race([body(client), lost]) : body(client));
  } finally {
    await Promise.all([children?.stop(), pythonWorker?.stop()]);
    local?.workers.forEach((w) => {
      if (w.getState() === 'RUNNING') w.shutdown();
    });
    await Promise.allSettled(running);
    await local?.connection.close();
    await client?.connection.close();
  }
}
