import type { QueueKind } from '../lib/contracts/index.ts';
import { runtimeSettings } from '../lib/runtime/settings.ts';
import { createWorkers } from '../workers/start-worker.ts';
import type { WorkerRole } from '../workers/start-worker.ts';
import { info } from './output.ts';
import { READY_LINE, startWorkerProcesses } from './worker-processes.ts';
import { startPythonWorker } from './python-worker.ts';

const ROLES: readonly string[] = ['split', 'workflows', 'activities', 'both'];

/** The options of `augment worker`. */
export const WORKER_ROLE_FLAG = [
  '--role <role>',
  'split: workflows here, activities in a child process (so they never delay workflow tasks); ' +
    'workflows, activities or both: only that, in this process',
  'split',
] as const;

function configError(message: string): Error {
  return Object.assign(new Error(message), { name: 'ConfigError' });
}

/** `--queues` and `--role` checked (ConfigError otherwise). */
export function parseWorkerFlags(flags: { queues: string; role?: string }): {
  queues: QueueKind[];
  role: WorkerRole | 'split';
} {
  const queues = flags.queues.split(',').map((q) => q.trim());
  for (const q of queues) {
    if (q !== 'cpu' && q !== 'gpu')
      throw configError(`--queues: "${q}" is not a queue (expected cpu or gpu)`);
  }
  const role = flags.role ?? 'split';
  if (!ROLES.includes(role))
    throw configError(`--role: "${role}" is not a role (expected ${ROLES.join(', ')})`);
  return { queues: queues as QueueKind[], role: role as WorkerRole | 'split' };
}

/**
 * `augment worker`: serves the queues until SIGINT/SIGTERM, then drains. Split (the default
 * where the queues include cpu, the workflows' queue): this process runs the workflows and a
 * child process the activities; when the child exits unasked, this process stops too, so a
 * supervisor (systemd, Kubernetes) restarts both.
 */
export async function serveWorkers(flags: { queues: string; role?: string }): Promise<void> {
  const { queues, role } = parseWorkerFlags(flags);
  const settings = runtimeSettings();
  const split = role === 'split' && queues.includes('cpu');
  const here: WorkerRole = split ? 'workflows' : role === 'split' ? 'both' : role;
  const child = split ? startWorkerProcesses([{ queues, role: 'activities' }], info) : undefined;
  try {
    const { workers, connection, identity } = await createWorkers({
      settings,
      queues,
      role: here,
    });
    // The ready line (which parents of this process wait for) means every part polls.
    await child?.ready;
    info(
      `${READY_LINE} ${queues.join(', ')} (${split ? 'workflows; activities in a child process' : here}) as ${identity} on ${settings.temporal.address} (artifacts: ${settings.artifactUri})`,
    );
    const running = Promise.all(workers.map((w) => w.run()));
    try {
      if (child) {
        await Promise.race([running, child.failed]);
      } else {
        await running;
      }
    } finally {
      // Whatever ended first (a signal, the child's exit), the rest drains too.
      workers.forEach((w) => {
        if (w.getState() === 'RUNNING') w.shutdown();
      });
      await Promise.allSettled([running]);
      await connection.close();
    }
  } finally {
    await child?.stop();
  }
}

/**
 * `augment worker --python [device]`: the Python training worker in a child process with
 * this process's settings, until SIGINT/SIGTERM (then it drains) or until it exits.
 */
export async function servePythonWorker(device: string): Promise<void> {
  if (device !== 'auto' && device !== 'cpu' && device !== 'cuda')
    throw configError(`--python: "${device}" is not a device (expected auto, cpu or cuda)`);
  const settings = runtimeSettings();
  const worker = startPythonWorker(settings, device, info);
  await worker.ready;
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  try {
    await Promise.race([stop, worker.failed]);
  } finally {
    await worker.stop();
  }
}
