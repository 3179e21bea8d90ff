import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadConnectionSettings } from '../../lib/config/env.ts';
import type { ConnectionSettings } from '../../lib/config/env.ts';
import { createStore } from '../../lib/store/index.ts';
import type { ArtifactStore } from '../../lib/store/index.ts';
import { connectClient } from '../../lib/temporal/connection.ts';
import { WORKFLOWS_PATH, createWorkers } from '../../workers/start-worker.ts';
import type { WorkerOptions } from '../../workers/start-worker.ts';

let bundle: Promise<{ code: string }> | undefined;
let runtime = false;

/** Workflow code bundled once per test file (bundling takes seconds). */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

export interface PipelineHarness {
  settings: ConnectionSettings;
  client: Client;
  store: ArtifactStore;
}

/**
 * Settings for the real test stack with a unique task-queue prefix and artifact prefix, so
 * tests never see each other's workers or artifacts.
 */
export function testSettings(overrides: Record<string, string> = {}): ConnectionSettings {
  const stack = inject('stack');
  const id = randomBytes(4).toString('hex');
  for (const [k, v] of Object.entries(stack.env)) if (k.startsWith('AWS_')) process.env[k] = v;
  return loadConnectionSettings(
    {
      ...stack.env,
      TASK_QUEUE_PREFIX: `test-${id}`,
      ARTIFACT_URI: `s3://${stack.bucket}/test-${id}`,
      ...overrides,
    },
    { artifactUri: '', mlflowUri: stack.mlflowUrl },
  );
}

/** The environment of a child process (CLI, worker) that talks to the test stack. */
export function childProcessEnv(settings: ConnectionSettings): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...inject('stack').env,
    TASK_QUEUE_PREFIX: settings.temporal.taskQueuePrefix,
    ARTIFACT_URI: settings.artifactUri,
    AUGMENT_IGNORE_LOCAL_STACK: '1',
  };
}

/** Runs `fn` while workers for both queues poll the test stack, then shuts them down. */
export async function withWorkers<T>(
  settings: ConnectionSettings,
  fn: (h: PipelineHarness) => Promise<T>,
  extra: Pick<WorkerOptions, 'wrapActivity' | 'role'> & Partial<Pick<WorkerOptions, 'queues'>> = {},
): Promise<T> {
  if (!runtime) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtime = true;
  }
  const { workers, connection } = await createWorkers({
    settings,
    queues: ['cpu', 'gpu'],
    workflowBundle: await workflowBundle(),
    ...extra,
  });
  const client = await connectClient(settings.temporal);
  const running = workers.map((w) => w.run());
  try {
    return await fn({ settings, client, store: createStore(settings.artifactUri, settings.s3) });
  } finally {
    workers.forEach((w) => w.shutdown());
    await Promise.allSettled(running);
    await connection.close();
    await client.connection.close();
  }
}
