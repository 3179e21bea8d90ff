/**
 * The one place that picks the TensorFlow.js backend: the fastest that loads, in the order
 * tfjs-node-gpu > tfjs-node > wasm > cpu. The native packages are optional (their install
 * downloads libtensorflow, which fails offline), so they are imported dynamically and their
 * absence is normal. Every model and training loop imports `tf` from here.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf };

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Which package provides each native backend. */
const NATIVE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

export interface BackendInfo {
  /** The tfjs backend name in use (`tensorflow` for both native packages). */
  name: string;
  /** What was asked for and what was tried, for logs and MLflow tags. */
  requested: BackendName | 'auto';
  tried: { backend: BackendName; error?: string }[];
}

let current: Promise<BackendInfo> | undefined;

/**
 * Initialises tfjs once per process with `preferred` (or `TFJS_BACKEND`, or the fastest that
 * loads) and returns what it got. Later calls return the first result.
 */
export function initBackend(preferred?: BackendName | 'auto'): Promise<BackendInfo> {
  current ??= pickBackend(preferred ?? envBackend());
  return current;
}

function envBackend(): BackendName | 'auto' {
  const v = process.env.TFJS_BACKEND;
  if (!v || v === 'auto') return 'auto';
  if ((BACKENDS as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(`TFJS_BACKEND=${v}: expected auto or one of ${BACKENDS.join(', ')}`);
}

async function pickBackend(requested: BackendName | 'auto'): Promise<BackendInfo> {
  const order = requested === 'auto' ? BACKENDS : [requested];
  const tried: BackendInfo['tried'] = [];
  for (const backend of order) {
    try {
      await loadBackend(backend);
      tried.push({ backend });
      return { name: tf.getBackend(), requested, tried };
    } catch (err) {
      tried.push({ backend, error: (err as Error).message.split('\n')[0] });
    }
  }
  throw new Error(
    `no TensorFlow.js backend could be loaded: ${tried.map((t) => `${t.backend}: ${t.error}`).join('; ')}`,
  );
}

async function loadBackend(backend: BackendName): Promise<void> {
  const pkg = NATIVE_PACKAGES[backend];
  if (pkg) {
    // Registers the `tensorflow` backend as a side effect; absent packages throw here.
    await import(pkg);
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} did not initialise`);
    return;
  }
  if (backend === 'wasm') {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(join(dir, 'dist') + '/');
  }
  // The wasm module's Emscripten glue installs process-wide uncaughtException and
  // unhandledRejection handlers that print its whole minified source on any crash; the
  // process's own handling (and Temporal's) stays in charge, so they are removed again.
  const exceptions = new Set(process.listeners('uncaughtException'));
  const rejections = new Set(process.listeners('unhandledRejection'));
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
    await tf.ready();
  } finally {
    for (const l of process.listeners('uncaughtException'))
      if (!exceptions.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection'))
      if (!rejections.has(l)) process.removeListener('unhandledRejection', l);
  }
}
