import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ConnectionSettings } from '../config/env.ts';
import { taskQueues } from '../contracts/index.ts';
import { experimentProgressQuery } from '../contracts/experiment.ts';
import type { StageName } from '../contracts/index.ts';
import type {
  ExperimentInput,
  ExperimentProgress,
  ExperimentResult,
  ExperimentVariant,
} from '../contracts/experiment.ts';
import type { Grid } from '../experiments/grid.ts';
import { planWarmups } from '../experiments/warmup.ts';
import { closedSeconds, endedStatus, followWorkflow } from './follow.ts';
import { failureMessage, newWorkflowId } from './pipeline-client.ts';

/** What `augment experiment --wait --json` prints. */
export interface ExperimentSummary {
  experimentId: string;
  status: 'completed' | 'failed' | 'cancelled';
  seconds: number;
  result?: ExperimentResult;
  /** The last progress seen (variants' rows), also when the experiment failed. */
  progress?: ExperimentProgress;
  error?: string;
}

export function buildExperimentInput(
  settings: ConnectionSettings,
  variants: ExperimentVariant[],
  grid: Grid,
  opts: { until?: StageName; maxParallel?: number } = {},
): ExperimentInput {
  return {
    name: variants[0]!.config.name,
    axes: grid.axes,
    variants,
    warmups: planWarmups(variants),
    ...(opts.until ? { until: opts.until } : {}),
    queues: taskQueues(settings.temporal.taskQueuePrefix),
    maxParallel: opts.maxParallel ?? grid.maxParallel,
  };
}

export async function startExperiment(
  client: Client,
  settings: ConnectionSettings,
  input: ExperimentInput,
  workflowId?: string,
): Promise<WorkflowHandle> {
  return client.workflow.start('experiment', {
    taskQueue: input.queues.cpu,
    workflowId: workflowId ?? newWorkflowId(`${input.name}-exp`),
    args: [input],
    retry: { maximumAttempts: 1 },
  });
}

/** Waits for an experiment, calling `onProgress` whenever its progress changes. */
export async function watchExperiment(
  handle: WorkflowHandle,
  onProgress?: (p: ExperimentProgress) => void,
  intervalMs = 1000,
): Promise<ExperimentSummary> {
  const { outcome, seconds, last } = await followWorkflow<ExperimentResult, ExperimentProgress>(
    handle,
    () => handle.query(experimentProgressQuery),
    onProgress,
    intervalMs,
  );
  if (outcome.ok)
    return { experimentId: handle.workflowId, status: 'completed', seconds, result: outcome.r };
  return {
    experimentId: handle.workflowId,
    status: endedStatus(await handle.describe()),
    seconds,
    ...(last ? { progress: last } : {}),
    error: failureMessage(outcome.err),
  };
}

/** The summary of an experiment that has ended, from its result alone (no worker needed). */
export async function endedExperimentSummary(handle: WorkflowHandle): Promise<ExperimentSummary> {
  const desc = await handle.describe();
  const seconds = closedSeconds(desc);
  try {
    const result = (await handle.result()) as ExperimentResult;
    return { experimentId: handle.workflowId, status: 'completed', seconds, result };
  } catch (err) {
    return {
      experimentId: handle.workflowId,
      status: endedStatus(desc),
      seconds,
      error: failureMessage(err),
    };
  }
}
