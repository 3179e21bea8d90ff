/**
 * The contracts between CLI, workflows and activities, in one place: stage names, task
 * queues, the small references that travel between stages, queries. Imported by workflow
 * code, so it must stay free of Node built-ins and I/O.
 */
import { defineQuery } from '@temporalio/workflow';
import type { PipelineConfig } from '../config/pipeline.ts';

export { PYTHON_FAMILIES } from './python-families.ts';

/** Stages in DAG order. Only stages that really exist are listed. */
export const STAGES = [
  'ingest',
  'preprocess',
  'trainGan',
  'generateGan',
  'expandLlm',
  'teacher',
  'policy',
  'resample',
  'retrainA',
  'retrainB',
  'evaluate',
  'register',
  'report',
] as const;
export type StageName = (typeof STAGES)[number];

/** Kinds of work, each with its own task queue so GPU workers can be scaled separately. */
export type QueueKind = 'cpu' | 'gpu';

/**
 * The activities of the gpu task queue (activities/index.ts registers exactly these); every
 * other activity runs on the cpu queue.
 */
export const GPU_ACTIVITIES = [
  'trainGan',
  'generateGan',
  'expandLlm',
  'policy',
  'retrainA',
  'retrainB',
] as const;
export type GpuActivityName = (typeof GPU_ACTIVITIES)[number];

/** The queue kind an activity type is scheduled on. */
export function queueOfActivity(name: string): QueueKind {
  return (GPU_ACTIVITIES as readonly string[]).includes(name) ? 'gpu' : 'cpu';
}

export interface TaskQueues {
  cpu: string;
  gpu: string;
  /**
   * The Python training worker's queue (training.worker: python). Optional: runs started
   * before it existed carry no such name.
   */
  gpuPy?: string;
}

/** Task-queue names for a deployment prefix (TASK_QUEUE_PREFIX). */
export function taskQueues(prefix: string): TaskQueues {
  return { cpu: `${prefix}-cpu`, gpu: `${prefix}-gpu`, gpuPy: `${prefix}-gpu-py` };
}

/** The two trained models: A on real data only, B on augmented data. */
export type Variant = 'A' | 'B';

/** The retrain stage of each variant. */
export const RETRAIN_STAGE = { A: 'retrainA', B: 'retrainB' } as const satisfies Record<
  Variant,
  StageName
>;

/** A finished stage output, as it travels through workflow history: references only. */
export interface StageRef {
  stage: StageName;
  /** Content-addressed key prefix in the artifact store. */
  key: string;
  manifestUri: string;
  /** The output's identity; downstream stage keys hash it. */
  sha256: string;
  /** The code identity of the stage that produced it (see lib/code-identity). */
  code: string;
  /** `cached`: an earlier run's output was reused; `done`: computed now. */
  status: 'done' | 'cached';
  seconds: number;
  rows: number;
  /** Output file name -> URI. */
  outputs: Record<string, string>;
  /** Small, JSON-friendly stage statistics (counts, rates). */
  stats: Record<string, unknown>;
  /**
   * Identity of the Temporal worker that ran the stage (or found it cached):
   * `<host>:<pid>:<role>:<queues>`. Absent when the stage ran outside a worker.
   */
  worker?: string;
}

/** What every stage activity receives. */
export interface StageInput<C = unknown> {
  runId: string;
  /** The stage's config section (with the seed). */
  config: C;
  /** Upstream outputs by role. */
  inputs: Partial<Record<StageName, StageRef>>;
}

export interface PipelineInput {
  /** Fully defaulted, validated config (validated by the client before start). */
  config: PipelineConfig;
  /** Stop after this stage (inclusive). */
  until?: StageName;
  /** Task queues of this deployment (the workflow itself runs on `cpu`). */
  queues: TaskQueues;
  /**
   * MLflow tracking of this run. An experiment's warm-up runs switch it off; its variants
   * nest their runs under the experiment's run. @default on, a top-level run
   */
  tracking?: { enabled?: boolean; parent?: MlflowRef };
}

export type StageStatus = 'pending' | 'running' | 'done' | 'cached' | 'failed' | 'skipped';

export interface StageProgress {
  name: StageName;
  status: StageStatus;
  startedAt?: number;
  endedAt?: number;
  seconds?: number;
  attempt?: number;
  error?: string;
  /** Why a stage was skipped (e.g. `disabled`, `until`). */
  note?: string;
  ref?: StageRef;
}

/** Where a pipeline run is tracked in MLflow. */
export interface MlflowRef {
  experimentId: string;
  runId: string;
  url: string;
}

/** MLflow tracking of a run: where, and whether it kept up (tracking never fails a run). */
export interface TrackingState {
  mlflow?: MlflowRef;
  /** Set when MLflow could not be reached after retries; the run itself went on. */
  error?: string;
}

export interface PipelineProgress {
  runId: string;
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  stages: StageProgress[];
  tracking: TrackingState;
}

export interface PipelineResult {
  runId: string;
  stages: StageProgress[];
  tracking: TrackingState;
}

/** Live per-stage status and timing of a pipeline run. */
export const progressQuery = defineQuery<PipelineProgress>('progress');

/** Error types that mean "bad input or config": never retried. */
export const NON_RETRYABLE_ERRORS = [
  'DataValidationError',
  'ConfigError',
  'InvalidKeyError',
  'InputNotFound',
  'EaseTooLargeError',
  'ArtifactCorrupted',
];
