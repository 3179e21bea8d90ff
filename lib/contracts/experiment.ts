/**
 * The contracts of experiments: a parent workflow that runs one child pipeline per point of
 * a parameter grid and ends with a comparison. Imported by workflow code: no I/O here.
 */
import { defineQuery } from '@temporalio/workflow';
import type { PipelineConfig } from '../config/pipeline.ts';
import type { MlflowRef, StageName, TaskQueues, TrackingState } from './index.ts';

/** One point of the grid: its overrides, applied to the base config and validated. */
export interface ExperimentVariant {
  /** Short and stable: `v1`, `v2`, ... (also the child workflow id's suffix). */
  label: string;
  /** Dotted config path -> value, as written in the grid file. */
  overrides: Record<string, unknown>;
  config: PipelineConfig;
}

/**
 * A child pipeline run before the fan-out so that stages several variants share are
 * computed once: the data stages (`until: preprocess`), then each distinct GAN/LLM/teacher
 * branch setting (`until: generateGan`, `expandLlm`, `teacher`). Variants then find them cached.
 */
export interface WarmStep {
  until: StageName;
  config: PipelineConfig;
  /** Labels of the variants that will reuse what this step computes. */
  for: string[];
}

/** Warm-up phases in order (by `until`): each reads the outputs of the one before. */
export const WARMUP_PHASES: readonly (readonly StageName[])[] = [
  ['preprocess'],
  ['generateGan', 'expandLlm', 'teacher'],
  ['retrainA'],
];

export interface ExperimentInput {
  /** Pipeline name (MLflow experiment) shared by every variant. */
  name: string;
  /** Grid axes in file order: path and the values tried. */
  axes: { path: string; values: unknown[] }[];
  variants: ExperimentVariant[];
  /** Run in order, phase by phase (all steps of one `until` before the next). */
  warmups: WarmStep[];
  until?: StageName;
  queues: TaskQueues;
  /** Child pipelines in flight at once. */
  maxParallel: number;
}

export type VariantStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One variant's outcome: what the comparison table shows. */
export interface VariantRow {
  label: string;
  overrides: Record<string, unknown>;
  workflowId: string;
  status: VariantStatus;
  seconds?: number;
  error?: string;
  /** Stages computed by this run vs reused from the cache. */
  stagesDone?: number;
  stagesCached?: number;
  /** From the evaluate stage, when it ran. */
  metric?: string;
  a?: number;
  b?: number;
  delta?: number;
  ciLow?: number;
  ciHigh?: number;
  pValue?: number;
  promote?: boolean;
  reason?: string;
  /** Overall test metrics of B (all of them, for the JSON table). */
  metricsB?: Record<string, number>;
  /** URI of the variant's HTML report. */
  report?: string;
  mlflow?: MlflowRef;
}

export interface ExperimentProgress {
  experimentId: string;
  phase: 'warming' | 'running' | 'comparing' | 'completed' | 'failed' | 'cancelled';
  warmups: { workflowId: string; until: StageName; status: VariantStatus; error?: string }[];
  variants: VariantRow[];
  tracking: TrackingState;
}

export interface ExperimentResult {
  experimentId: string;
  variants: VariantRow[];
  warmups: ExperimentProgress['warmups'];
  /** The best completed variant by B's primary metric, if any completed. */
  best?: string;
  /** URIs of comparison.json and comparison.html. */
  outputs: Record<string, string>;
  /** Artifact-store key prefix of the comparison. */
  key: string;
  tracking: TrackingState;
}

/** Live state of an experiment: phase, warm-up steps and each variant's row. */
export const experimentProgressQuery = defineQuery<ExperimentProgress>('experimentProgress');
