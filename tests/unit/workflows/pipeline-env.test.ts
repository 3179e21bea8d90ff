import { ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionSettings } from '../../../lib/config/env.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { STAGES, progressQuery, queueOfActivity } from '../../../lib/contracts/index.ts';
import type {
  PipelineInput,
  PipelineResult,
  QueueKind,
  StageInput,
  StageName,
} from '../../../lib/contracts/index.ts';
import { createSchedule } from '../../../lib/runtime/schedules.ts';
import {
  FAKE_MLFLOW,
  fakeActivities,
  fakeRef,
  startWorkflowEnvironment,
  uniqueQueues,
  withFakeWorkers,
} from '../../helpers/workflow-env.ts';
import type { FakeCall } from '../../helpers/workflow-env.ts';

/**
 * The pipeline workflow's orchestration on a Temporal dev server with fake activities:
 * `until`, disabled branches, the teacher branch, the registry-skip path, cancellation, the
 * `report-stage`, `teacher-source` and `augmentation-policy` patches and dated sources of scheduled runs. tests/unit/workflows/replay.test.ts replays a
 * history recorded before the patch.
 *
 * No time-skipping server: the workflows start no timers (nothing to skip), and the Java
 * time-skipping test server implements no Schedules; scheduled runs are therefore tested
 * on the dev server by triggering the schedule.
 */
let env: TestWorkflowEnvironment;
let bundle: { code: string };

beforeAll(async () => {
  ({ env, bundle } = await startWorkflowEnvironment());
}, 120_000);
afterAll(async () => {
  await env?.teardown();
});

function input(
  queues: Record<QueueKind, string>,
  overrides: Record<string, unknown> = {},
  until?: StageName,
): PipelineInput {
  const config = parsePipelineConfig({
    name: 'wf-test',
    data: { source: 's3://logs/{date}/' },
    orchestration: { heartbeatTimeoutSeconds: 10 },
    ...overrides,
  });
  return { config, queues, ...(until ? { until } : {}) };
}

const runPipeline = (client: Client, queues: Record<QueueKind, string>, args: PipelineInput) =>
  client.workflow.start('pipeline', {
    taskQueue: queues.cpu,
    workflowId: `pipeline-${queues.cpu}`,
    args: [args],
  });

const names = (calls: FakeCall[]) => calls.map((c) => c.name);
const stageCalls = (calls: FakeCall[]) =>
  names(calls).filter((n): n is StageName => (STAGES as readonly string[]).includes(n));
const statusOf = (result: PipelineResult) =>
  Object.fromEntries(
    result.stages.map((s) => [s.name, s.note ? `${s.status}:${s.note}` : s.status]),
  );

describe('pipeline workflow on the test environment', () => {
  it('a full run calls every stage once, each on its queue, and records its patches', async () => {
    const queues = uniqueQueues();
    await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
      const handle = await runPipeline(env.client, queues, input(queues));
      const result = (await handle.result()) as PipelineResult;
      expect(result.stages.map((s) => s.status)).toEqual(STAGES.map(() => 'done'));
      expect(result.tracking.mlflow).toEqual(FAKE_MLFLOW);
      expect([...stageCalls(calls)].sort()).toEqual([...STAGES].sort());
      for (const c of calls) expect(c.queue, c.name).toBe(queues[queueOfActivity(c.name)]);
      expect(calls.at(-1)).toMatchObject({ name: 'trackEnd', input: { status: 'FINISHED' } });

      // A run started under the current code takes the patched branch and says so in its
      // history; that history replays.
      const history = await handle.fetchHistory();
      const patches = history.events!.flatMap((e) => {
        const m = e.markerRecordedEventAttributes;
        const data = m?.details?.['patch-data']?.payloads?.[0]?.data;
        return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
      });
      expect(patches).toEqual([
        'tracking-alongside',
        'teacher-source',
        'augmentation-policy',
        'report-stage',
      ]);
      await Worker.runReplayHistory({ workflowBundle: bundle }, history);
    });
  });

  it("a stage's MLflow tracking does not hold up the stages after it, and ends before the run", async () => {
    const queues = uniqueQueues();
    const acts = fakeActivities();
    let trackedIngest = 0;
    // Tracking ingest takes a while; preprocess must not wait for it.
    acts.cpu.trackStage = async ({ ref }) => {
      if (ref.stage !== 'ingest') return;
      await new Promise((r) => setTimeout(r, 1500));
      trackedIngest = Date.now();
    };
    await withFakeWorkers(env, bundle, queues, acts, async (calls) => {
      const handle = await runPipeline(env.client, queues, input(queues));
      const result = (await handle.result()) as PipelineResult;
      const started = (name: string) => calls.find((c) => c.name === name)!.at;
      expect(started('preprocess')).toBeLessThan(trackedIngest);
      // The run closes its MLflow run only after every stage's tracking finished.
      expect(result.tracking.error).toBeUndefined();
      expect(calls.at(-1)).toMatchObject({ name: 'trackEnd', input: { status: 'FINISHED' } });
      expect(started('trackEnd')).toBeGreaterThanOrEqual(trackedIngest);
    });
  });

  it.each([
    ['preprocess', ['ingest', 'preprocess']],
    [
      'resample',
      [
        'ingest',
        'preprocess',
        'trainGan',
        'generateGan',
        'expandLlm',
        'teacher',
        'policy',
        'resample',
      ],
    ],
    [
      'retrainA',
      [
        'ingest',
        'preprocess',
        'trainGan',
        'generateGan',
        'expandLlm',
        'teacher',
        'policy',
        'resample',
        'retrainA',
      ],
    ],
  ] as const)('until %s stops after that stage', async (until, ran) => {
    const queues = uniqueQueues();
    await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
      const handle = await runPipeline(env.client, queues, input(queues, {}, until));
      const result = (await handle.result()) as PipelineResult;
      expect([...stageCalls(calls)].sort()).toEqual([...ran].sort());
      const status = statusOf(result);
      for (const s of STAGES)
        expect(status[s], s).toBe(ran.includes(s as never) ? 'done' : 'skipped');
      expect(calls.at(-1)).toMatchObject({ name: 'trackEnd', input: { status: 'FINISHED' } });
    });
  });

  it('disabled GAN, LLM and teacher branches are skipped and resample gets real data only', async () => {
    const queues = uniqueQueues();
    await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
      const args = input(queues, {
        gan: { enabled: false },
        llm: { enabled: false },
        teacher: { enabled: false },
      });
      const result = (await runPipeline(env.client, queues, args).then((h) =>
        h.result(),
      )) as PipelineResult;
      expect(statusOf(result)).toMatchObject({
        trainGan: 'skipped:disabled',
        generateGan: 'skipped:disabled',
        expandLlm: 'skipped:disabled',
        teacher: 'skipped:disabled',
        policy: 'skipped:no augmentation source',
        resample: 'done',
        report: 'done',
      });
      expect(stageCalls(calls)).not.toContain('trainGan');
      expect(stageCalls(calls)).not.toContain('expandLlm');
      expect(stageCalls(calls)).not.toContain('teacher');
      const resample = calls.find((c) => c.name === 'resample')!.input as StageInput;
      expect(Object.keys(resample.inputs)).toEqual(['preprocess']);
    });
  });

  it('only the GAN off: the LLM and teacher rows still reach resample', async () => {
    const queues = uniqueQueues();
    await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
      const args = input(queues, { gan: { enabled: false } });
      await runPipeline(env.client, queues, args).then((h) => h.result());
      const resample = calls.find((c) => c.name === 'resample')!.input as StageInput;
      expect(Object.keys(resample.inputs).sort()).toEqual([
        'expandLlm',
        'policy',
        'preprocess',
        'teacher',
      ]);
    });
  });

  it('policy auto gets every source and its decision reaches resample; policy fixed skips it', async () => {
    for (const policy of ['auto', 'fixed'] as const) {
      const queues = uniqueQueues();
      await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
        const args = input(queues, { augmentation: { policy }, llm: { enabled: false } });
        const result = (await runPipeline(env.client, queues, args).then((h) =>
          h.result(),
        )) as PipelineResult;
        const resample = calls.find((c) => c.name === 'resample')!.input as StageInput;
        if (policy === 'fixed') {
          expect(statusOf(result).policy).toBe('skipped:policy fixed');
          expect(Object.keys(resample.inputs).sort()).toEqual([
            'generateGan',
            'preprocess',
            'teacher',
          ]);
          return;
        }
        const call = calls.find((c) => c.name === 'policy')!;
        expect(call.queue).toBe(queues.gpu);
        const { inputs, config } = call.input as StageInput<{ segments: object }>;
        expect(Object.keys(inputs).sort()).toEqual(['generateGan', 'preprocess', 'teacher']);
        expect(config.segments).toEqual({
          sparseFraction: 0.25,
          tailFraction: 0.8,
          maxDrop: 0.05,
          coldThreshold: 5,
          minSegmentUsers: 50,
          alpha: 0.05,
        });
        expect(resample.inputs.policy).toMatchObject({ stage: 'policy' });
      });
    }
  });

  it('the teacher branch runs on the cpu queue beside the GAN and LLM; its ref reaches resample and report', async () => {
    const queues = uniqueQueues();
    const acts = fakeActivities();
    // The teacher finishes only once both other branches have started: the three overlap.
    let release!: () => void;
    const othersStarted = new Promise<void>((r) => (release = r));
    let started = 0;
    const startedOne = () => ++started === 2 && release();
    const { trainGan, expandLlm } = acts.gpu;
    acts.gpu.trainGan = async (i) => (startedOne(), trainGan(i));
    acts.gpu.expandLlm = async (i) => (startedOne(), expandLlm(i));
    acts.cpu.teacher = async () => {
      await othersStarted;
      return { ...fakeRef('teacher'), sha256: 'sha-teacher-rows' };
    };
    await withFakeWorkers(env, bundle, queues, acts, async (calls) => {
      const args = input(queues, {
        teacher: { usersFraction: 0.5, k: 2, candidates: ['rp3beta', 'itemknn'] },
      });
      const result = (await runPipeline(env.client, queues, args).then((h) =>
        h.result(),
      )) as PipelineResult;
      expect(statusOf(result).teacher).toBe('done');
      const teacher = calls.find((c) => c.name === 'teacher')!;
      expect(teacher.queue).toBe(queues.cpu);
      const { teacher: section } = (teacher.input as StageInput<{ teacher: object }>).config;
      expect(section).toEqual({
        usersFraction: 0.5,
        maxUsers: 50_000,
        k: 2,
        maxPerRealItem: 1,
        excludeTopPopular: 0.05,
        candidates: ['rp3beta', 'itemknn'],
        oneStepBack: true,
        blend: false,
      });
      expect(Object.keys((teacher.input as StageInput).inputs)).toEqual(['preprocess']);
      for (const next of ['resample', 'report']) {
        const ref = (calls.find((c) => c.name === next)!.input as StageInput).inputs.teacher;
        expect(ref, next).toMatchObject({ stage: 'teacher', sha256: 'sha-teacher-rows' });
      }
    });
  });

  it('registry disabled: register is skipped, the report still runs', async () => {
    const queues = uniqueQueues();
    await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
      const args = input(queues, { registry: { enabled: false } });
      const result = (await runPipeline(env.client, queues, args).then((h) =>
        h.result(),
      )) as PipelineResult;
      expect(statusOf(result)).toMatchObject({ register: 'skipped:disabled', report: 'done' });
      expect(names(calls)).not.toContain('register');
    });
  });

  it('MLflow unreachable: tracking error recorded, register skipped, the run completes', async () => {
    const queues = uniqueQueues();
    const acts = fakeActivities();
    acts.cpu.trackStart = async () => {
      throw ApplicationFailure.nonRetryable('MLflow POST /runs/create failed: 503', 'MlflowError');
    };
    await withFakeWorkers(env, bundle, queues, acts, async (calls) => {
      const result = (await runPipeline(env.client, queues, input(queues)).then((h) =>
        h.result(),
      )) as PipelineResult;
      expect(result.tracking.mlflow).toBeUndefined();
      expect(result.tracking.error).toMatch(/^starting the MLflow run: MlflowError: .*503/);
      expect(statusOf(result)).toMatchObject({
        evaluate: 'done',
        register: 'skipped:MLflow was not reachable',
        report: 'done',
      });
      // Without a parent run nothing else is sent to MLflow.
      expect(names(calls).filter((n) => n.startsWith('track') || n === 'register')).toEqual([
        'trackStart',
      ]);
    });
  });

  it('a failing registration is recorded, not fatal', async () => {
    const queues = uniqueQueues();
    const acts = fakeActivities();
    acts.cpu.register = async () => {
      throw ApplicationFailure.nonRetryable('model name taken', 'MlflowError');
    };
    await withFakeWorkers(env, bundle, queues, acts, async () => {
      const result = (await runPipeline(env.client, queues, input(queues)).then((h) =>
        h.result(),
      )) as PipelineResult;
      expect(result.tracking.error).toBe('registering the models: MlflowError: model name taken');
      expect(statusOf(result)).toMatchObject({ register: 'failed', report: 'done' });
    });
  });

  it('cancelling during GAN training cancels the activity, stops the DAG and closes the MLflow run as KILLED', async () => {
    const queues = uniqueQueues();
    const acts = fakeActivities();
    let training!: () => void;
    const trainingStarted = new Promise<void>((r) => (training = r));
    let activityCancelled = false;
    acts.gpu.trainGan = async () => {
      training();
      try {
        // A long training loop: heartbeats, and sleeps that end on cancellation.
        for (;;) {
          heartbeat();
          await sleep(50);
        }
      } catch (err) {
        activityCancelled = err instanceof CancelledFailure;
        throw err;
      }
    };
    await withFakeWorkers(env, bundle, queues, acts, async (calls) => {
      const handle = await runPipeline(env.client, queues, input(queues));
      await trainingStarted;
      await handle.cancel();
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      const progress = await handle.query(progressQuery);
      expect(progress.state).toBe('cancelled');
      expect(progress.stages.find((s) => s.name === 'trainGan')).toMatchObject({
        status: 'failed',
        error: 'cancelled',
      });
      for (const later of ['resample', 'retrainA', 'retrainB', 'evaluate'] as const)
        expect(stageCalls(calls)).not.toContain(later);
      expect(calls.at(-1)).toMatchObject({ name: 'trackEnd', input: { status: 'KILLED' } });
      // The heartbeat's answer carried the cancellation into the activity.
      for (let i = 0; i < 50 && !activityCancelled; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(activityCancelled).toBe(true);
    });
  });

  it('a scheduled run reads the dated source of its own start day', async () => {
    const queues = uniqueQueues();
    const prefix = queues.cpu.slice(0, -'-cpu'.length);
    const settings = loadConnectionSettings(
      { TASK_QUEUE_PREFIX: prefix },
      { artifactUri: 'file:///unused', mlflowUri: 'http://127.0.0.1:9' },
    );
    const id = `nightly-${prefix}`;
    await withFakeWorkers(env, bundle, queues, fakeActivities(), async (calls) => {
      await createSchedule(env.client, settings, input(queues).config, {
        id,
        cron: '0 2 * * *',
        timezone: 'UTC',
        overlap: ScheduleOverlapPolicy.SKIP,
        catchupWindow: '1h',
        pauseOnFailure: false,
      });
      const schedule = env.client.schedule.getHandle(id);
      try {
        await schedule.trigger();
        let workflowId: string | undefined;
        for (let i = 0; i < 100 && !workflowId; i++) {
          workflowId = (await schedule.describe()).info.recentActions[0]?.action.workflow
            .workflowId;
          if (!workflowId) await new Promise((r) => setTimeout(r, 100));
        }
        expect(workflowId?.startsWith(`${id}-`)).toBe(true);
        const run = env.client.workflow.getHandle(workflowId!);
        await run.result();
        const day = (await run.describe()).startTime.toISOString().slice(0, 10);
        const ingest = calls.find((c) => c.name === 'ingest')!.input as StageInput<{
          data: { source: string };
        }>;
        expect(ingest.config.data.source).toBe(`s3://logs/${day}/`);
      } finally {
        await schedule.delete();
      }
    });
  });
});
