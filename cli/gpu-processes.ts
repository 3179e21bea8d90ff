/**
 * Extra gpu-queue worker processes for an in-process worker (the demo, `run --worker`).
 * tfjs and the training loops run on their process's one thread, so a process takes one
 * gpu-queue activity at a time: the GAN and LLM branches (and models A and B) run side by
 * side only in separate processes. Each is `augment worker --queues gpu` with this
 * process's environment (so the same settings), stopped (drained) at the end.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../bin/augment.mjs', import.meta.url));
/** What `augment worker` prints once its workers exist (cli/commands/run.ts). */
const READY_LINE = 'worker serving gpu';
/** How long a starting worker may take before the run goes on without waiting for it. */
const READY_MS = 60_000;
/** How long a stopping worker may drain before it is killed. */
const STOP_MS = 30_000;

/** The `--gpu-workers <n>` option of commands that take `--worker`. */
export const GPU_WORKERS_FLAG = [
  '--gpu-workers <n>',
  'with --worker: gpu-queue worker processes in all, so training stages run side by side',
  '1',
] as const;

/** The option's value checked: a whole number from 1 to 16 (ConfigError otherwise). */
export function parseGpuWorkers(value: string | number | undefined): number {
  const n = Number(value ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw Object.assign(
      new Error(`--gpu-workers: "${String(value)}" is not a whole number from 1 to 16`),
      { name: 'ConfigError' },
    );
  return n;
}

export interface GpuProcesses {
  /** Resolves when every process polls its queue (or has given up, saying why). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function startGpuProcesses(count: number, log: (line: string) => void): GpuProcesses {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [CLI, 'worker', '--queues', 'gpu'], {
      env: process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  return {
    ready: Promise.all(children.map((c) => watch(c, log))).then(() => undefined),
    async stop() {
      await Promise.all(children.map(stopChild));
    },
  };
}

/** Resolves when `child` is ready, exits or takes too long; reports unexpected exits. */
function watch(child: ChildProcess, log: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let tail = '';
    const timer = setTimeout(() => {
      log(`extra gpu worker (pid ${child.pid}) not ready after ${READY_MS / 1000} s`);
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
    child.once('exit', (code, signal) => {
      ready();
      // Expected only when stopped; otherwise the in-process worker carries on alone.
      if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL') {
        const last = tail.trim().split('\n').at(-1) ?? '';
        log(`extra gpu worker (pid ${child.pid}) exited with ${code ?? signal}: ${last}`);
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
