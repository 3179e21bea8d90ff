import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ConnectionSettings } from '../config/env.ts';
import { experimentProgressQuery, taskQueues } from '../contracts/index.ts';
import type {
  ExperimentInput,
  ExperimentProgress,
  ExperimentResult,
  ExperimentVariant,
  StageName,
} from '../contracts/index.ts';
import type { Grid } from '../experiments/grid.ts';
import { planWarmups } from '../experiments/warmup.ts';
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
  const t0 = Date.now();
  let last: ExperimentProgress | undefined;
  let done = false;
  const result = handle.result().then(
    (r: ExperimentResult) => ({ ok: true as const, r }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  void result.then(() => (done = true));
  while (!done) {
    try {
      const p = await handle.query(experimentProgressQuery);
      if (JSON.stringify(p) !== JSON.stringify(last)) onProgress?.(p);
      last = p;
    } catch {
      // No workflow task has run yet; keep waiting.
    }
    await Promise.race([result, new Promise((r) => setTimeout(r, intervalMs))]);
  }
  const outcome = await result;
  const seconds = (Date.now() - t0) / 1000;
  if (outcome.ok)
    return { experimentId: handle.workflowId, status: 'completed', seconds, result: outcome.r };
  const desc = await handle.describe();
  const progress = (await handle.query(experimentProgressQuery).catch(() => last)) ?? last;
  return {
    experimentId: handle.workflowId,
    status: desc.status.name === 'CANCELLED' ? 'cancelled' : 'failed',
    seconds,
    ...(progress ? { progress } : {}),
    error: failureMessage(outcome.err),
  };
}

/** The summary of an experiment that has ended, from its result alone (no worker needed). */
export async function endedExperimentSummary(handle: WorkflowHandle): Promise<ExperimentSummary> {
  const desc = await handle.describe();
  const seconds = desc.closeTime ? (desc.closeTime.getTime() - desc.startTime.getTime()) / 1000 : 0;
  try {
    const result = (await handle.result()) as ExperimentResult;
    return { experimentId: handle.workflowId, status: 'completed', seconds, result };
  } catch (err) {
    return {
      experimentId: handle.workflowId,
      status: desc.status.name === 'CANCELLED' ? 'cancelled' : 'failed',
      seconds,
      error: failureMessage(err),
    };
  }
}
