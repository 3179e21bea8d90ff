import type { Client } from '@temporalio/client';
import type { ConnectionSettings } from '../lib/config/env.ts';
import { connectClient } from '../lib/temporal/connection.ts';
import { createWorkers } from '../workers/start-worker.ts';
import { startGpuProcesses } from './gpu-processes.ts';
import { info } from './output.ts';

/**
 * A Temporal client and - with `worker` - workers for both queues inside this process,
 * for the length of `body` (`run --worker`, `experiment --worker`, the demo). Workers
 * drain and everything is closed afterwards, whatever `body` did.
 */
export async function withClientAndWorker<T>(
  settings: ConnectionSettings,
  worker: boolean | undefined,
  body: (client: Client) => Promise<T>,
  /** gpu-queue worker processes in all, this one included (see gpu-processes.ts). */
  gpuProcesses = 1,
): Promise<T> {
  // The extra processes start first: they load while this one connects and bundles.
  const extra = worker && gpuProcesses > 1 ? startGpuProcesses(gpuProcesses - 1, info) : undefined;
  const client = await connectClient(settings.temporal);
  const local = worker ? await createWorkers({ settings, queues: ['cpu', 'gpu'] }) : undefined;
  const running = local?.workers.map((w) => w.run());
  try {
    // Work is scheduled once they poll: otherwise this process may take both branches.
    await extra?.ready;
    return await body(client);
  } finally {
    await extra?.stop();
    local?.workers.forEach((w) => w.shutdown());
    await Promise.allSettled(running ?? []);
    await local?.connection.close();
    await client.connection.close();
  }
}
