/**
 * The Python training worker (python/recsys_worker/worker.py) as a child process: it serves
 * trainGan and retrainA/retrainB on `<prefix>-gpu-py` for runs with `training.worker:
 * python`. It gets the settings this process resolved (address, namespace, queue prefix,
 * artifact store, S3 endpoint, region and path style) as flags, since it cannot read the
 * local stack's context itself; S3 credentials reach it through the environment only
 * (runtimeSettings writes the local stack's into process.env), never on its command line.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConnectionSettings } from '../lib/config/env.ts';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import { stopChild, watch } from './worker-processes.ts';
import type { WorkerProcesses } from './worker-processes.ts';

/** The project root: two levels up from cli/ (sources) or dist/cli/ (compiled). */
const ROOT = fileURLToPath(
  new URL(import.meta.url.endsWith('.js') ? '../../' : '../', import.meta.url),
);
/** The venv infra/setup.mjs installs the worker's packages into. */
export const PYTHON = process.env.AUGMENT_PYTHON ?? `${ROOT}.venv/bin/python`;

export type TrainingDevice = PipelineConfig['training']['device'];

/** The command line that starts the worker with these settings. */
export function pythonWorkerCommand(settings: ConnectionSettings, device: TrainingDevice) {
  const t = settings.temporal;
  if (t.tls || t.apiKey)
    throw Object.assign(
      new Error(
        'the Python training worker connects without TLS or an API key; use a plain address',
      ),
      { name: 'ConfigError' },
    );
  return {
    command: PYTHON,
    args: [
      '-m',
      'recsys_worker.worker',
      '--address',
      t.address,
      '--namespace',
      t.namespace,
      '--queue-prefix',
      t.taskQueuePrefix,
      '--artifact-uri',
      settings.artifactUri,
      '--device',
      device,
      ...s3Flags(settings),
    ],
    cwd: `${ROOT}python`,
  };
}

/** The S3 settings as the worker's flags; none for a file:// store. */
function s3Flags(settings: ConnectionSettings): string[] {
  if (!settings.artifactUri.startsWith('s3://')) return [];
  const { endpoint, region, forcePathStyle } = settings.s3;
  return [
    ...(endpoint ? ['--s3-endpoint', endpoint] : []),
    '--s3-region',
    region,
    '--s3-path-style',
    String(forcePathStyle),
  ];
}

export function startPythonWorker(
  settings: ConnectionSettings,
  device: TrainingDevice,
  log: (line: string) => void,
): WorkerProcesses {
  const { command, args, cwd } = pythonWorkerCommand(settings, device);
  if (!existsSync(command))
    throw Object.assign(
      new Error(`${command} is missing: run \`node infra/setup.mjs\` to install the Python worker`),
      { name: 'ConfigError' },
    );
  let stopping = false;
  let fail: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const child = spawn(command, args, {
    cwd,
    env: process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ready = watch(child, `python training worker ${child.pid}`, log, (why) => {
    if (!stopping) fail(new Error(why));
  });
  return {
    ready,
    failed,
    async stop() {
      stopping = true;
      await stopChild(child);
    },
  };
}
