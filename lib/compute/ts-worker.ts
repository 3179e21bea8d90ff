/**
 * Worker threads running TypeScript modules, in any host this project runs in (the CLI and
 * workers through tsx's API, vitest, `node --import tsx`): a plain .mjs entry registers tsx
 * in the new thread and imports the module. Starting one costs ~0.3 s. Compiled code starts
 * the module's .js twin directly.
 */
import { Worker } from 'node:worker_threads';

const BOOT = new URL('./ts-worker-boot.mjs', import.meta.url);

/** Starts `entry` (a .ts module URL) in a worker thread; `data` arrives as `workerData.data`. */
export function startTsWorker(entry: URL, data: unknown): Worker {
  // The compiled tree (dist/, `npm run build`) holds the module as plain .js: no loader.
  if (import.meta.url.endsWith('.js')) {
    const compiled = new URL(entry.href.replace(/\.ts$/, '.js'));
    return new Worker(compiled, { workerData: { entry: compiled.href, data } });
  }
  return new Worker(BOOT, { workerData: { entry: entry.href, data } });
}
