/**
 * Worker child processes (`augment worker --role activities ...`) with this process's
 * environment, so the same settings. Activities run there, never beside the workflow worker:
 * training and data stages keep a JavaScript thread busy for seconds at a time, and a
 * workflow task waiting behind them fails once it passes its 10 s timeout.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { QueueKind } from '../lib/contracts/index.ts';

/**
 * The CLI a child runs: compiled code (dist/cli/*.js) starts the compiled CLI directly;
 * from source, the launcher registers tsx first.
 */
const CLI = fileURLToPath(
  import.meta.url.endsWith('.js')
    ? new URL('./main.js', import.meta.url)
    : new URL('../bin/augment.mjs', import.meta.url),
);
/** What `augment worker` prints once its workers exist (cli/worker-command.ts). */
export const READY_LINE = 'worker serving';
/** How long a starting worker may take before it is reported as slow. */
const READY_MS = 60_000;
/** How long a stopping worker may drain before it is killed. */
const STOP_MS = 30_000;

export interface WorkerProcessSpec {
  queues: QueueKind[];
  role: 'activities' | 'both';
}

export interface WorkerProcesses {
  /** Resolves when every process polls its queues (or has given up, saying why). */
  ready: Promise<void>;
  /** Rejects when a process exits unexpectedly (before stop()); never resolves. */
  failed: Promise<never>;
  /** Stops (drains) every process; resolves when all have exited. */
  stop(): Promise<void>;
}

export function startWorkerProcesses(
  specs: WorkerProcessSpec[],
  log: (line: string) => void,
): WorkerProcesses {
  let stopping = false;
  let fail: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  // Callers race it against their own work; unobserved, it must not crash the process.
  failed.catch(() => {});
  const ready = specs.map((spec) => {
    const child = spawn(
      process.execPath,
      [CLI, 'worker', '--queues', spec.queues.join(','), '--role', spec.role],
      { env: process.env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return {
      child,
      ready: watch(child, describe(child, spec), log, (why) => {
        if (!stopping) fail(new Error(why));
      }),
    };
  });
  return {
    ready: Promise.all(ready.map((r) => r.ready)).then(() => undefined),
    failed,
    async stop() {
      stopping = true;
      await Promise.all(ready.map((r) => stopChild(r.child)));
    },
  };
}

function describe(child: ChildProcess, spec: WorkerProcessSpec): string {
  return `worker process ${child.pid} (${spec.queues.join(', ')} ${spec.role === 'both' ? 'workflows and activities' : spec.role})`;
}

/**
 * Resolves when `child` is ready, exits or takes too long; an exit that nobody asked for is
 * handed to `exited` with the child's last line of output.
 */
export function watch(
  child: ChildProcess,
  name: string,
  log: (line: string) => void,
  exited: (why: string) => void,
): Promise<void> {
  return new Promise((resolve) => {
    let tail = '';
    const timer = setTimeout(() => {
      log(`${name} not ready after ${READY_MS / 1000} s`);
      resolve();
    }, READY_MS);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    child.stderr!.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-2000);
      if (tail.includes(READY_LINE)) ready();
    });
    child.once('error', (err) => {
      ready();
      exited(`${name} did not start: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      ready();
      const last = tail.trim().split('\n').at(-1) ?? '';
      exited(`${name} exited with ${code ?? signal}${last ? `: ${last}` : ''}`);
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
