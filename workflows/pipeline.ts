import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { CpuActivities, GpuActivities } from '../activities/index.ts';
import {
  NON_RETRYABLE_ERRORS,
  PYTHON_FAMILIES,
  RETRAIN_STAGE,
  STAGES,
  progressQuery,
} from '../lib/contracts/index.ts';
import type {
  PipelineInput,
  PipelineResult,
  StageName,
  StageRef,
  Variant,
} from '../lib/contracts/index.ts';
import { expandDatedSource } from '../lib/config/dated.ts';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import { StageTracker, describeFailure } from './stage-tracker.ts';

/** Short data stages: minutes, heartbeats between phases, quick retries. */
function cpuStageOptions(taskQueue: string, heartbeatSeconds: number): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${heartbeatSeconds} seconds`,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: 6,
      nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
    },
  };
}

/**
 * Training stages: long, on the gpu queue. The stage runner re-sends heartbeats every few
 * seconds, so a short heartbeat timeout notices a dead worker quickly; the retry then
 * resumes from the last checkpoint.
 */
function trainingStageOptions(taskQueue: string, heartbeatSeconds: number): ActivityOptions {
  return {
    ...cpuStageOptions(taskQueue, heartbeatSeconds),
    startToCloseTimeout: '12 hours',
  };
}

/** MLflow bookkeeping: retried for a while, but never allowed to fail the pipeline. */
export function trackingOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: 8,
    },
  };
}

/** The stages a training worker serves: the TypeScript gpu queue's, or the Python worker's. */
type TrainingActivities = Pick<GpuActivities, 'trainGan' | 'retrainA' | 'retrainB'>;

/**
 * With `training.worker: python`, trainGan and retrainA/retrainB go to the Python worker's
 * queue (the same StageInput/StageRef contract); otherwise, and on replay of runs recorded
 * before the Python worker existed, to the gpu queue. patched() is asked only when the
 * config names python, so other runs carry no marker.
 */
function trainingWorker(
  input: PipelineInput,
  beat: number,
  gpu: GpuActivities,
): TrainingActivities {
  if (input.config.training?.worker !== 'python' || !patched('python-training-worker')) return gpu;
  const queue = input.queues.gpuPy;
  if (!queue)
    throw ApplicationFailure.nonRetryable(
      'training.worker python: the run was started without a gpu-py task queue name',
      'ConfigError',
    );
  return proxyActivities<TrainingActivities>(trainingStageOptions(queue, beat));
}

/**
 * Where retrainA/retrainB train, and with which model settings. `model.family: auto` on the
 * Python worker: the policy picked the family (its stats carry the pick's settings); the
 * Python worker trains it when it trains that family, else the TypeScript gpu queue does,
 * resolving auto itself to the same stored pick (as it does without a policy stage). A
 * config could not name python with auto before this existed, so no recorded history
 * takes another path on replay.
 */
function retrainWorker(
  trainer: TrainingActivities,
  gpu: GpuActivities,
  model: PipelineConfig['model'],
  policy: StageRef | undefined,
): { on: TrainingActivities; model: PipelineConfig['model']; familyChoice?: unknown } {
  if (trainer === gpu || model.family !== 'auto') return { on: trainer, model };
  const picked = policy?.stats.trainModel as PipelineConfig['model'] | undefined;
  if (picked && (PYTHON_FAMILIES as readonly string[]).includes(picked.family))
    return { on: trainer, model: picked, familyChoice: policy!.stats.familyChoice };
  return { on: gpu, model };
}

/**
 * The augmentation pipeline: each stage a cached activity returning a small reference.
 * Stages that do not exist yet are not wired (no stubs); `until` stops early.
 */
export async function pipeline(input: PipelineInput): Promise<PipelineResult> {
  const runId = workflowInfo().workflowId;
  const lastIndex = input.until ? STAGES.indexOf(input.until) : STAGES.length - 1;
  const planned = STAGES.slice(0, lastIndex + 1);
  const tracker = new StageTracker(runId, STAGES);
  tracker.skip(STAGES.slice(lastIndex + 1));
  setHandler(progressQuery, () => tracker.snapshot());

  const beat = input.config.orchestration.heartbeatTimeoutSeconds;
  // Each proxy is typed by its queue's activities: a stage sent to the wrong queue does
  // not compile.
  const cpu = proxyActivities<CpuActivities>(cpuStageOptions(input.queues.cpu, beat));
  const gpu = proxyActivities<GpuActivities>(trainingStageOptions(input.queues.gpu, beat));
  const trainer = trainingWorker(input, beat, gpu);
  const track = proxyActivities<CpuActivities>(trackingOptions(input.queues.cpu));
  const registry = proxyActivities<CpuActivities>({
    ...trackingOptions(input.queues.cpu),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${beat} seconds`,
  });
  // `{date}`/`{yesterday}` in the source resolve to this run's start date (deterministic).
  const config = {
    ...input.config,
    data: {
      ...input.config.data,
      source: expandDatedSource(input.config.data.source, workflowInfo().runStartTime),
    },
  };
  const wants = (s: StageName) => planned.includes(s);

  // Tracking failures are recorded in progress; the run goes on without MLflow.
  const safely = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      if (isCancellation(err)) throw err;
      tracker.tracking.error = `${what}: ${describeFailure(err)}`;
    }
  };
  // A stage's MLflow tracking runs alongside the stages after it instead of holding up the
  // DAG (runs recorded before this change awaited each one in turn, and replay that way).
  const trackAlongside = patched('tracking-alongside');
  const tracking: Promise<void>[] = [];
  const stage = async (name: StageName, call: () => Promise<StageRef>) => {
    const ref = await tracker.run(name, call);
    const parent = tracker.tracking.mlflow;
    if (parent) {
      const tracked = safely(`tracking ${name}`, () => track.trackStage({ parent, ref }));
      if (trackAlongside) tracking.push(tracked.catch(() => undefined));
      else await tracked;
    }
    return ref;
  };
  const finish = async (status: 'FINISHED' | 'FAILED' | 'KILLED') => {
    // Every stage's tracking has ended (done, failed into tracking.error, or cancelled).
    await Promise.all(tracking);
    const parent = tracker.tracking.mlflow;
    // After a cancellation this must still run, so it gets a scope that is not cancelled.
    if (parent) {
      await CancellationScope.nonCancellable(() =>
        safely('closing the MLflow run', () => track.trackEnd({ parent, status })),
      );
    }
  };

  if (input.tracking?.enabled !== false) {
    const parentRunId = input.tracking?.parent?.runId;
    await safely('starting the MLflow run', async () => {
      tracker.tracking.mlflow = await track.trackStart({
        workflowId: runId,
        config,
        ...(parentRunId ? { parentRunId } : {}),
      });
    });
  }
  try {
    await runStages();
  } catch (err) {
    tracker.state = isCancellation(err) ? 'cancelled' : 'failed';
    await finish(tracker.state === 'cancelled' ? 'KILLED' : 'FAILED');
    throw err;
  }
  tracker.state = 'completed';
  await finish('FINISHED');
  return { runId, stages: tracker.list(), tracking: tracker.tracking };

  /** The DAG, in order; each step only when planned (`until`). */
  async function runStages(): Promise<void> {
    const seed = config.seed;
    const ingest = await stage('ingest', () =>
      cpu.ingest({ runId, config: { data: config.data, seed }, inputs: {} }),
    );
    if (!wants('preprocess')) return;
    const preprocess = await stage('preprocess', () =>
      cpu.preprocess({
        runId,
        config: { preprocess: config.preprocess, seed },
        inputs: { ingest },
      }),
    );
    // The augmentation branches run in parallel; each yields its synthetic rows or nothing.
    const ganBranch = async (): Promise<StageRef | undefined> => {
      if (!wants('trainGan')) return undefined;
      if (!config.gan.enabled) {
        tracker.skip(['trainGan', 'generateGan'], 'disabled');
        return undefined;
      }
      const {
        enabled: _on,
        users,
        sparseThreshold,
        topK,
        gate,
        maxUsers,
        recency,
        oneStepBack,
        ...ganTraining
      } = config.gan;
      const trainGan = await stage('trainGan', () =>
        trainer.trainGan({ runId, config: { ...ganTraining, seed }, inputs: { preprocess } }),
      );
      if (!wants('generateGan')) return undefined;
      return stage('generateGan', () =>
        gpu.generateGan({
          runId,
          config: { users, sparseThreshold, topK, gate, maxUsers, recency, oneStepBack, seed },
          inputs: { preprocess, trainGan },
        }),
      );
    };
    const llmBranch = async (): Promise<StageRef | undefined> => {
      if (!wants('expandLlm')) return undefined;
      if (!config.llm.enabled) {
        tracker.skip(['expandLlm'], 'disabled');
        return undefined;
      }
      const { enabled: _on, ...llm } = config.llm;
      return stage('expandLlm', () =>
        gpu.expandLlm({ runId, config: { llm, seed }, inputs: { preprocess } }),
      );
    };
    const teacherBranch = async (): Promise<StageRef | undefined> => {
      if (!wants('teacher')) return undefined;
      // Added after runs were already in flight: their histories replay without it.
      if (!patched('teacher-source')) {
        tracker.skip(['teacher'], "not in this run's workflow version");
        return undefined;
      }
      // A run started by a client older than the section has none: as if disabled.
      const settings = config.teacher as PipelineConfig['teacher'] | undefined;
      if (!settings?.enabled) {
        tracker.skip(
          ['teacher'],
          settings ? 'disabled' : "no teacher section in this run's config",
        );
        return undefined;
      }
      const { enabled: _on, ...teacher } = settings;
      return stage('teacher', () =>
        cpu.teacher({ runId, config: { teacher }, inputs: { preprocess } }),
      );
    };
    // augmentation.policy auto: B's sources and settings chosen on validation.
    const policyStage = async (
      sources: Partial<Record<StageName, StageRef>>,
    ): Promise<StageRef | undefined> => {
      if (!wants('policy')) return undefined;
      // Added after runs were already in flight: their histories replay without it.
      if (!patched('augmentation-policy')) {
        tracker.skip(['policy'], "not in this run's workflow version");
        return undefined;
      }
      // A run started by a client older than the section has none: as if fixed.
      const augmentation = config.augmentation as PipelineConfig['augmentation'] | undefined;
      if (augmentation?.policy !== 'auto') {
        tracker.skip(
          ['policy'],
          augmentation ? 'policy fixed' : "no augmentation section in this run's config",
        );
        return undefined;
      }
      if (Object.keys(sources).length === 0) {
        tracker.skip(['policy'], 'no augmentation source');
        return undefined;
      }
      return stage('policy', () =>
        gpu.policy({
          runId,
          config: {
            augmentation,
            resample: config.resample,
            model: config.model,
            segments: {
              sparseFraction: config.evaluate.sparseFraction,
              tailFraction: config.evaluate.tailFraction,
              maxDrop: config.evaluate.maxDrop,
              coldThreshold: config.evaluate.coldThreshold,
              minSegmentUsers: config.evaluate.minSegmentUsers,
              alpha: config.evaluate.alpha,
            },
            seed,
          },
          inputs: { preprocess, ...sources },
        }),
      );
    };
    const [generateGan, expandLlm, teacher] = await Promise.all([
      ganBranch(),
      llmBranch(),
      teacherBranch(),
    ]);
    const sources = {
      ...(generateGan ? { generateGan } : {}),
      ...(expandLlm ? { expandLlm } : {}),
      ...(teacher ? { teacher } : {}),
    };
    const policy = await policyStage(sources);
    if (!wants('resample')) return;
    const resample = await stage('resample', () =>
      cpu.resample({
        runId,
        config: { resample: config.resample, seed },
        inputs: { preprocess, ...sources, ...(policy ? { policy } : {}) },
      }),
    );
    const { on, model, familyChoice } = retrainWorker(trainer, gpu, config.model, policy);
    const retrain = (variant: Variant) =>
      stage(RETRAIN_STAGE[variant], () =>
        on[RETRAIN_STAGE[variant]]({
          runId,
          config: { variant, model, seed, ...(familyChoice ? { familyChoice } : {}) },
          inputs: { preprocess, resample },
        }),
      );
    if (!wants('retrainB')) {
      if (wants('retrainA')) await retrain('A');
      return;
    }
    // A and B train in parallel (on as many gpu workers as there are).
    const [retrainA, retrainB] = await Promise.all([retrain('A'), retrain('B')]);
    if (!wants('evaluate')) return;
    const evaluate = await stage('evaluate', () =>
      cpu.evaluate({
        runId,
        config: { evaluate: config.evaluate, seed },
        inputs: { preprocess, retrainA, retrainB },
      }),
    );
    if (!wants('register')) return;
    const parent = tracker.tracking.mlflow;
    if (!config.registry.enabled || !parent) {
      tracker.skip(['register'], config.registry.enabled ? 'MLflow was not reachable' : 'disabled');
    } else {
      // The registry is MLflow: like tracking, its failure is recorded, not fatal.
      await safely('registering the models', () =>
        stage('register', () =>
          registry.register({
            runId,
            config: { registry: config.registry, pipeline: config.name, parent, workflowId: runId },
            inputs: { preprocess, retrainA, retrainB, evaluate },
          }),
        ),
      );
    }
    if (!wants('report')) return;
    // Added after runs were already in flight: their histories replay without it.
    if (!patched('report-stage')) return;
    await stage('report', () =>
      cpu.report({
        runId,
        config: {
          pipeline: config.name,
          metric: config.evaluate.metric,
          runId,
          createdAt: workflowInfo().runStartTime.toISOString(),
        },
        inputs: {
          preprocess,
          resample,
          retrainA,
          retrainB,
          evaluate,
          ...(generateGan ? { generateGan } : {}),
          ...(expandLlm ? { expandLlm } : {}),
          ...(teacher ? { teacher } : {}),
          ...(policy ? { policy } : {}),
        },
      }),
    );
  }
}
