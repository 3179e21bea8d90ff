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
/** How long a stopping worker may drain before it is killed. */
const STOP_MS = 30_000;

export interface GpuProcesses {
  stop(): Promise<void>;
}

export function startGpuProcesses(count: number, log: (line: string) => void): GpuProcesses {
  const children: ChildProcess[] = [];
  for (let k = 0; k < count; k++) {
    const child = spawn(process.execPath, [CLI, 'worker', '--queues', 'gpu'], {
      env: process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-2000);
    });
    child.once('exit', (code, signal) => {
      // Expected only when stopped; otherwise the in-process worker carries on alone.
      if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL')
        log(
          `extra gpu worker (pid ${child.pid}) exited with ${code ?? signal}: ${tail.trim().split('\n').at(-1) ?? ''}`,
        );
    });
    children.push(child);
  }
  return {
    async stop() {
      await Promise.all(children.map(stopChild));
    },
  };
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
