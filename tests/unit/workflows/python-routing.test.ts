/**
 * `training.worker: python` sends trainGan, retrainA and retrainB to the Python worker's
 * queue (`gpuPy`) and everything else where it always goes; a run started without a gpuPy
 * queue name fails with a precise, final error. Fake activities on a Temporal dev server;
 * tests/unit/workflows/replay.test.ts replays histories recorded before the patch.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { activityInfo } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import type { PipelineInput, StageInput, StageName } from '../../../lib/contracts/index.ts';
import {
  fakeActivities,
  fakeRef,
  startWorkflowEnvironment,
  uniqueQueues,
  withFakeWorkers,
} from '../../helpers/workflow-env.ts';

let env: TestWorkflowEnvironment;
let bundle: { code: string };

beforeAll(async () => {
  ({ env, bundle } = await startWorkflowEnvironment());
}, 120_000);
afterAll(async () => {
  await env?.teardown();
});

const PYTHON_STAGES: StageName[] = ['trainGan', 'retrainA', 'retrainB'];

function config(model: Record<string, unknown> = {}) {
  return parsePipelineConfig({
    name: 'wf-python',
    data: { source: 'synthetic:users=10,items=10,interactions=50,seed=1' },
    llm: { enabled: false },
    training: { worker: 'python' },
    orchestration: { heartbeatTimeoutSeconds: 10 },
    model,
  });
}

/** A Python worker on `taskQueue` with fakes of its stages, recording each call's input. */
async function fakePythonWorker(taskQueue: string) {
  const ran: { name: string; queue: string; input: StageInput }[] = [];
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities: Object.fromEntries(
      PYTHON_STAGES.map((name) => [
        name,
        async (input: StageInput) => {
          ran.push({ name, queue: activityInfo().taskQueue, input });
          return fakeRef(name);
        },
      ]),
    ),
  });
  return { ran, worker, running: worker.run() };
}

describe('training.worker python', () => {
  it('routes the training stages to the gpu-py queue, the rest as before', async () => {
    const queues = uniqueQueues();
    const gpuPy = `${queues.cpu.replace(/-cpu$/, '')}-gpu-py`;
    const ran: { name: string; queue: string }[] = [];
    const python = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: gpuPy,
      activities: Object.fromEntries(
        PYTHON_STAGES.map((name) => [
          name,
          async () => {
            ran.push({ name, queue: activityInfo().taskQueue });
            return fakeRef(name);
          },
        ]),
      ),
    });
    const running = python.run();
    try {
      await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
        const input: PipelineInput = { config: config(), queues: { ...queues, gpuPy } };
        const result = await env.client.workflow.execute('pipeline', {
          taskQueue: queues.cpu,
          workflowId: `python-routing-${Date.now()}`,
          args: [input],
        });
        expect(result).toBeDefined();
        expect(ran.map((r) => r.name).sort()).toEqual([...PYTHON_STAGES].sort());
        expect(ran.every((r) => r.queue === gpuPy)).toBe(true);
        const elsewhere = calls.filter((c) => PYTHON_STAGES.includes(c.name as StageName));
        expect(elsewhere).toEqual([]);
        expect(calls.find((c) => c.name === 'generateGan')?.queue).toBe(queues.gpu);
      });
    } finally {
      python.shutdown();
      await running;
    }
  });

  it('fails with a final error when the run has no gpu-py queue name', async () => {
    const queues = uniqueQueues();
    await withFakeWorkers(env, bundle, queues, fakeActivities(), async () => {
      const run = env.client.workflow.execute('pipeline', {
        taskQueue: queues.cpu,
        workflowId: `python-no-queue-${Date.now()}`,
        args: [{ config: config(), queues } satisfies PipelineInput],
      });
      await expect(run).rejects.toThrow(WorkflowFailedError);
      await expect(run).rejects.toMatchObject({
        cause: { message: expect.stringContaining('without a gpu-py task queue name') },
      });
    });
  });

  /** The policy's fake, reporting that `family: auto` picked `family`. */
  function picking(family: string) {
    const acts = fakeActivities();
    const trainModel = parsePipelineConfig({ model: { family } }).model;
    const familyChoice = [{ family, confirmationNdcg10: 0.1 }];
    acts.gpu.policy = async () => ({
      ...fakeRef('policy'),
      stats: { family, familyChoice, trainModel },
    });
    return { acts, trainModel, familyChoice };
  }

  it('family auto: trains the family the policy picked on the Python worker, with its settings', async () => {
    const queues = uniqueQueues();
    const gpuPy = `${queues.cpu.replace(/-cpu$/, '')}-gpu-py`;
    const python = await fakePythonWorker(gpuPy);
    const { acts, trainModel, familyChoice } = picking('ease');
    try {
      await withFakeWorkers(env, bundle, queues, acts, async (calls) => {
        await env.client.workflow.execute('pipeline', {
          taskQueue: queues.cpu,
          workflowId: `python-auto-${Date.now()}`,
          args: [{ config: config({ family: 'auto' }), queues: { ...queues, gpuPy } }],
        });
        const retrains = python.ran.filter((r) => r.name.startsWith('retrain'));
        expect(retrains.map((r) => r.name).sort()).toEqual(['retrainA', 'retrainB']);
        for (const r of retrains) {
          const c = r.input.config as { model: unknown; familyChoice: unknown };
          expect(c.model).toEqual(trainModel);
          expect(c.familyChoice).toEqual(familyChoice);
        }
        expect(calls.filter((c) => c.name.startsWith('retrain'))).toEqual([]);
      });
    } finally {
      python.worker.shutdown();
      await python.running;
    }
  });

  it('family auto without a policy stage: A and B train on the gpu queue, which resolves auto', async () => {
    const queues = uniqueQueues();
    const gpuPy = `${queues.cpu.replace(/-cpu$/, '')}-gpu-py`;
    const python = await fakePythonWorker(gpuPy);
    const noSources = {
      ...config({ family: 'auto' }),
      gan: { ...config().gan, enabled: false },
      teacher: { ...config().teacher, enabled: false },
    };
    try {
      await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
        await env.client.workflow.execute('pipeline', {
          taskQueue: queues.cpu,
          workflowId: `python-auto-nopolicy-${Date.now()}`,
          args: [{ config: noSources, queues: { ...queues, gpuPy } }],
        });
        expect(calls.find((c) => c.name === 'policy')).toBeUndefined();
        expect(python.ran).toEqual([]);
        const retrains = calls.filter((c) => c.name.startsWith('retrain'));
        expect(retrains.map((c) => c.name).sort()).toEqual(['retrainA', 'retrainB']);
        expect(retrains.every((c) => c.queue === queues.gpu)).toBe(true);
        // The TypeScript retrain makes (or reuses) the family choice itself.
        for (const c of retrains)
          expect((c.input as StageInput<{ model: { family: string } }>).config.model.family).toBe(
            'auto',
          );
      });
    } finally {
      python.worker.shutdown();
      await python.running;
    }
  });
});
