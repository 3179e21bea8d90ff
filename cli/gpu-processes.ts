/**
 * gpu-queue worker processes for commands that take `--worker` (the demo, `run --worker`).
 * tfjs and the training loops run on their process's one thread, so a process takes one
 * gpu-queue activity at a time: the GAN and LLM branches (and models A and B) run side by
 * side only in separate processes.
 */
import type { WorkerProcessSpec } from './worker-processes.ts';

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

/**
 * The activity processes of a `--worker` session with `gpuWorkers` gpu-queue processes: the
 * first also serves the cpu queue's activities (the workflows stay in the calling process).
 */
export function activityProcesses(gpuWorkers: number): WorkerProcessSpec[] {
  return Array.from({ length: gpuWorkers }, (_, i) => ({
    queues: i === 0 ? ['cpu', 'gpu'] : ['gpu'],
    role: 'activities',
  }));
}
