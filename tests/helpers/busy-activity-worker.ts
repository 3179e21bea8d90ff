// A worker process for the workflow-starvation test: the project's own workers
// (createWorkers) on the cpu queue in the given role, with `ingest` replaced by a loop that
// holds this process's JavaScript thread for <busyMs>, as a CPU-bound stage does between
// yields. Settings come from the environment (childProcessEnv).
//   node --import tsx tests/helpers/busy-activity-worker.ts <role> <busyMs> [workflowBundle.js]
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
import { createWorkers } from '../../workers/start-worker.ts';
import type { WorkerRole } from '../../workers/start-worker.ts';

/** Printed when the workers poll, and when the busy loop starts. */
const READY = 'busy-worker ready';
const BUSY = 'busy-worker busy';

const [role, busyMs, bundle] = process.argv.slice(2);
Runtime.install({ logger: new DefaultLogger('ERROR') });

function holdThread(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x = Math.sqrt(x + 1);
  return x;
}

const { workers, connection } = await createWorkers({
  settings: runtimeSettings(),
  queues: ['cpu'],
  role: role as WorkerRole,
  ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  wrapActivity: (name, fn) => {
    if (name !== 'ingest') return fn;
    const busy = async () => {
      process.stderr.write(`${BUSY}\n`);
      holdThread(Number(busyMs));
      throw new Error('the busy loop ended (the test terminates the run before)');
    };
    return busy as unknown as typeof fn;
  },
});
process.stderr.write(`${READY}\n`);
try {
  await Promise.all(workers.map((w) => w.run()));
} finally {
  await connection.close();
}
