import { randomBytes } from 'node:crypto';
import { activityInfo } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { CpuActivities, GpuActivities } from '../../activities/index.ts';
import type { MlflowRef, QueueKind, StageName, StageRef } from '../../lib/contracts/index.ts';
import { toolPaths } from '../../lib/stack/config.ts';
import { WORKFLOWS_PATH } from '../../workers/start-worker.ts';

/**
 * Workflow tests without the full stack: a Temporal dev server started by the SDK's
 * TestWorkflowEnvironment on the `temporal` binary that infra/setup.mjs installs (never a
 * download), the real workflow bundle, and fake activities registered per task queue
 * exactly as the real workers split them. No MinIO, no MLflow.
 */
export async function startWorkflowEnvironment(): Promise<{
  env: TestWorkflowEnvironment;
  bundle: { code: string };
}> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: toolPaths().temporal },
        ip: '127.0.0.1',
        extraArgs: ['--log-level', 'error'],
      },
    }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
  ]);
  return { env, bundle };
}

/** One activity call as a fake saw it: which activity, on which task queue, with what. */
export interface FakeCall {
  name: string;
  queue: string;
  input: unknown;
  /** When the call reached the worker (ms since epoch). */
  at: number;
}

/** The references a fake stage returns: enough for the workflow to wire the next stage. */
export function fakeRef(stage: StageName): StageRef {
  return {
    stage,
    key: `stages/${stage}/fake`,
    manifestUri: `file:///fake/${stage}/manifest.json`,
    sha256: `sha-${stage}`,
    code: 'fake',
    status: 'done',
    seconds: 0,
    rows: 1,
    outputs: {},
    stats: {},
  };
}

export const FAKE_MLFLOW: MlflowRef = { experimentId: '1', runId: 'run-1', url: 'http://mlflow/1' };

const stage = (name: StageName) => async () => fakeRef(name);

/** Fakes with the real activities' names and types, one set per queue. */
export function fakeActivities(): { cpu: CpuActivities; gpu: GpuActivities } {
  return {
    cpu: {
      ingest: stage('ingest'),
      preprocess: stage('preprocess'),
      teacher: stage('teacher'),
      resample: stage('resample'),
      evaluate: stage('evaluate'),
      register: stage('register'),
      report: stage('report'),
      trackStart: async () => FAKE_MLFLOW,
      trackStage: async () => {},
      trackEnd: async () => {},
      compareExperiment: async () => ({ key: 'experiments/fake', outputs: {} }),
      trackExperimentStart: async () => FAKE_MLFLOW,
      trackExperimentEnd: async () => {},
    },
    gpu: {
      trainGan: stage('trainGan'),
      generateGan: stage('generateGan'),
      expandLlm: stage('expandLlm'),
      policy: stage('policy'),
      retrainA: stage('retrainA'),
      retrainB: stage('retrainB'),
    },
  };
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

/** Wraps each fake so every call is recorded with the task queue it really ran on. */
function recorded(acts: object, calls: FakeCall[]): Record<string, AnyActivity> {
  return Object.fromEntries(
    Object.entries(acts as Record<string, AnyActivity>).map(([name, fn]) => [
      name,
      (...args: never[]) => {
        calls.push({ name, queue: activityInfo().taskQueue, input: args[0], at: Date.now() });
        return fn(...args);
      },
    ]),
  );
}

/** Task queues unique to one test, so its workers never see another test's tasks. */
export function uniqueQueues(): Record<QueueKind, string> {
  const id = randomBytes(4).toString('hex');
  return { cpu: `wf-${id}-cpu`, gpu: `wf-${id}-gpu` };
}

/**
 * Runs `fn` while a cpu worker (the workflows and the cpu fakes) and a gpu worker (the gpu
 * fakes) poll `queues`, then shuts both down.
 */
export async function withFakeWorkers<T>(
  env: TestWorkflowEnvironment,
  bundle: { code: string },
  queues: Record<QueueKind, string>,
  acts: { cpu: CpuActivities; gpu: GpuActivities },
  fn: (calls: FakeCall[]) => Promise<T>,
): Promise<T> {
  const calls: FakeCall[] = [];
  const common = {
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    // Cancellation reaches an activity with a heartbeat's answer: answer quickly.
    maxHeartbeatThrottleInterval: '100 milliseconds',
  };
  const workers = [
    await Worker.create({
      ...common,
      taskQueue: queues.cpu,
      workflowBundle: bundle,
      activities: recorded(acts.cpu, calls),
    }),
    await Worker.create({
      ...common,
      taskQueue: queues.gpu,
      activities: recorded(acts.gpu, calls),
    }),
  ];
  const running = workers.map((w) => w.run());
  try {
    return await fn(calls);
  } finally {
    workers.forEach((w) => w.shutdown());
    await Promise.all(running);
  }
}
