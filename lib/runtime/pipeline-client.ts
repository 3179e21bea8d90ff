import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError, defaultPayloadConverter } from '@temporalio/client';
import type { ConnectionSettings } from '../config/env.ts';
import type { PipelineConfig } from '../config/pipeline.ts';
import { progressQuery, taskQueues } from '../contracts/index.ts';
import type {
  PipelineInput,
  PipelineProgress,
  PipelineResult,
  StageName,
  StageProgress,
  TrackingState,
} from '../contracts/index.ts';
import type { ExperimentInput } from '../contracts/experiment.ts';

import { closedSeconds, endedStatus, followWorkflow } from './follow.ts';
/** One stage in the `--json` run summary. */
export interface StageSummary {
  name: StageName;
  status: StageProgress['status'];
  /** From the workflow scheduling the stage to its result: waits for a worker and retries included. */
  seconds: number | null;
  /** The attempt that produced the result, inside the activity (`seconds` minus waiting and retries). */
  runSeconds: number | null;
  outputs: Record<string, string>;
  stats: Record<string, unknown>;
  /** Code identity of the stage that produced the output (a hash of the code it reaches). */
  code?: string;
  /** The worker that ran the stage, `<host>:<pid>:<role>:<queues>` (workers/start-worker.ts). */
  worker?: string;
  error?: string;
  /** Why a stage was skipped (e.g. `disabled`). */
  note?: string;
}

/** What `augment run --wait --json` prints. */
export interface RunSummary {
  workflowId: string;
  runId: string;
  status: 'completed' | 'failed' | 'cancelled' | 'running';
  seconds: number;
  stages: StageSummary[];
  /** MLflow parent run (`mlflow.url` opens it), or the reason tracking fell behind. */
  tracking: TrackingState;
  /** Overall test metrics of model A (real data) and B (augmented), once evaluated. */
  metrics?: { A: Record<string, number>; B: Record<string, number> };
  /**
   * The same per segment: sparse users (the quarter with the fewest train items, by
   * default), cold users, and tail items (`recall@K` on tail test items), with their users,
   * and the paired change B - A of the metric the segment's guard rail judges (the primary
   * metric; recall on tail items) with its bootstrap interval.
   */
  segments?: Record<
    'sparseUsers' | 'coldUsers' | 'tailItems',
    {
      users: number;
      A: Record<string, number>;
      B: Record<string, number>;
      change?: { metric: string; delta: number; ciLow: number; ciHigh: number; p: number };
    }
  >;
  /** The A/B decision and its reasons in plain words, once evaluated. */
  decision?: { promote: boolean; reasons: string[] };
  /** The MLflow parent run, when tracking reached MLflow. */
  mlflow?: TrackingState['mlflow'];
  error?: string;
}

/** A readable, unique, sortable workflow id: `<name>-<UTC timestamp>-<random>`. */
export function newWorkflowId(name: string, now = new Date()): string {
  const ts = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${name}-${ts}-${Math.random().toString(36).slice(2, 7)}`;
}

export async function startPipeline(
  client: Client,
  settings: ConnectionSettings,
  config: PipelineConfig,
  opts: { workflowId?: string; until?: StageName } = {},
): Promise<WorkflowHandle> {
  const queues = taskQueues(settings.temporal.taskQueuePrefix);
  return client.workflow.start('pipeline', {
    taskQueue: queues.cpu,
    workflowId: opts.workflowId ?? newWorkflowId(config.name),
    args: [{ config, until: opts.until, queues }],
    // The config is already validated; bad input found later fails the run, not retries it.
    retry: { maximumAttempts: 1 },
  });
}

/** A running activity as Temporal's server sees it: attempt and last heartbeat details. */
export interface LiveActivity {
  activity: string;
  attempt: number;
  /** Scheduled but not picked up: every worker of its task queue is busy (or none runs). */
  waiting: boolean;
  /** When the current attempt started on a worker (ms since epoch). */
  startedAt?: number;
  /** The last heartbeat's details (phase, epoch, loss, done/total ...). */
  details?: Record<string, unknown>;
  lastFailure?: string;
}

/** Progress as the watcher sees it: the workflow's query plus live activity details. */
export interface WatchedProgress extends PipelineProgress {
  live: LiveActivity[];
}

/** temporal.api.enums.v1.PendingActivityState: scheduled (in the task queue), started. */
const SCHEDULED = 1;
const STARTED = 2;

function timestampMs(
  ts:
    { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined,
): number | undefined {
  if (!ts?.seconds) return undefined;
  return Number(ts.seconds.toString()) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/**
 * Running activities and their last heartbeat details (epoch, loss, rows ...), from the
 * server's description of the workflow. Heartbeat details never pass through workflow
 * history, so this is the only place the CLI can see them.
 */
export async function liveActivities(handle: WorkflowHandle): Promise<LiveActivity[]> {
  const desc = await handle.describe();
  return (desc.raw.pendingActivities ?? []).map((a) => {
    let details: Record<string, unknown> | undefined;
    const payload = a.heartbeatDetails?.payloads?.[0];
    if (payload) {
      try {
        details = defaultPayloadConverter.fromPayload(payload);
      } catch {
        details = undefined;
      }
    }
    const startedAt = a.state === STARTED ? timestampMs(a.lastStartedTime) : undefined;
    return {
      activity: a.activityType?.name ?? '?',
      attempt: a.attempt ?? 1,
      waiting: a.state === SCHEDULED,
      ...(startedAt !== undefined ? { startedAt } : {}),
      details,
      lastFailure: a.lastFailure?.message ?? undefined,
    };
  });
}

/**
 * Waits for a run, calling `onProgress` with each new snapshot of the progress query (and
 * the running activities' heartbeat details), and returns the summary whether the run
 * succeeded or failed.
 */
export async function watchPipeline(
  handle: WorkflowHandle,
  onProgress?: (p: WatchedProgress) => void,
  intervalMs = 500,
): Promise<RunSummary> {
  const { outcome, seconds, last } = await followWorkflow<PipelineResult, WatchedProgress>(
    handle,
    // Heartbeat details only when someone shows them (one more server call per poll).
    async () => ({
      ...(await handle.query(progressQuery)),
      live: onProgress ? await liveActivities(handle) : [],
    }),
    onProgress,
    intervalMs,
  );
  const desc = await handle.describe();
  if (outcome.ok) {
    const r = outcome.r;
    return summarize(handle.workflowId, desc.runId, 'completed', seconds, r.stages, r.tracking);
  }
  return {
    ...summarize(
      handle.workflowId,
      desc.runId,
      endedStatus(desc),
      seconds,
      last?.stages ?? [],
      last?.tracking ?? {},
    ),
    error: failureMessage(outcome.err),
  };
}

/**
 * The summary of a run that has ended, from its result alone: no query, so no worker is
 * needed. A failed run's stages are not in its result; the summary carries its error.
 */
export async function endedRunSummary(handle: WorkflowHandle): Promise<RunSummary> {
  const desc = await handle.describe();
  const seconds = closedSeconds(desc);
  try {
    const r = (await handle.result()) as PipelineResult;
    return summarize(handle.workflowId, desc.runId, 'completed', seconds, r.stages, r.tracking);
  } catch (err) {
    return {
      ...summarize(handle.workflowId, desc.runId, endedStatus(desc), seconds, [], {}),
      error: failureMessage(err),
    };
  }
}

function summarize(
  workflowId: string,
  runId: string,
  status: RunSummary['status'],
  seconds: number,
  stages: StageProgress[],
  tracking: TrackingState,
): RunSummary {
  const stats = (name: StageName) => stages.find((s) => s.name === name)?.ref?.stats;
  const evaluation = stats('evaluate') as
    | {
        metrics?: RunSummary['metrics'];
        segments?: RunSummary['segments'];
        promote?: boolean;
        reasons?: string[];
      }
    | undefined;
  return {
    workflowId,
    runId,
    status,
    seconds,
    tracking,
    ...(evaluation?.metrics ? { metrics: evaluation.metrics } : {}),
    ...(evaluation?.segments ? { segments: evaluation.segments } : {}),
    ...(evaluation?.reasons
      ? { decision: { promote: evaluation.promote === true, reasons: evaluation.reasons } }
      : {}),
    ...(tracking.mlflow ? { mlflow: tracking.mlflow } : {}),
    // Stages cut off by `until` are left out; skipped with a reason (e.g. disabled) stay.
    stages: stages
      .filter((s) => s.status !== 'skipped' || s.note)
      .map((s) => ({
        name: s.name,
        status: s.status,
        seconds: s.seconds ?? null,
        runSeconds: s.ref?.seconds ?? null,
        outputs: s.ref?.outputs ?? {},
        stats: s.ref?.stats ?? {},
        ...(s.ref?.code ? { code: s.ref.code } : {}),
        ...(s.ref?.worker ? { worker: s.ref.worker } : {}),
        ...(s.error ? { error: s.error } : {}),
        ...(s.note ? { note: s.note } : {}),
      })),
  };
}

export function failureMessage(err: unknown): string {
  let cur = err as { message?: string; cause?: unknown } | undefined;
  if (err instanceof WorkflowFailedError) cur = err.cause as typeof cur;
  while (cur?.cause) cur = cur.cause as typeof cur;
  return cur?.message ?? String(err);
}

/**
 * Restarts a failed, cancelled or terminated run (a pipeline or an experiment) under the same workflow id with the same
 * input. Finished stages are content-addressed, so they come back `cached` and only what
 * did not finish runs again; the MLflow parent run (tagged with the id) is reused.
 */
export async function resumePipeline(
  client: Client,
  workflowId: string,
  opts: {
    /** Restart a completed run too (after its outputs were invalidated for recomputing). */
    completed?: boolean;
  } = {},
): Promise<WorkflowHandle> {
  const old = client.workflow.getHandle(workflowId);
  const desc = await old.describe();
  const state = desc.status.name;
  if (state === 'RUNNING')
    throw new Error(
      `${workflowId} is still running; resume restarts runs that failed or were cancelled`,
    );
  if (state === 'COMPLETED' && !opts.completed) {
    throw new Error(
      `${workflowId} completed; nothing to resume (run the config again to reuse its cached stages)`,
    );
  }
  const { events } = await old.fetchHistory();
  const started = events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new Error(`${workflowId}: its history has no input to resume from`);
  let decoded = [payload];
  for (const codec of [...client.options.loadedDataConverter.payloadCodecs].reverse()) {
    decoded = await codec.decode(decoded);
  }
  const args = client.options.loadedDataConverter.payloadConverter.fromPayload(decoded[0]!);
  // Pipelines and experiments alike: an experiment's finished variants come back cached.
  return client.workflow.start(desc.type, {
    taskQueue: desc.taskQueue,
    workflowId,
    args: [args as PipelineInput | ExperimentInput],
    retry: { maximumAttempts: 1 },
  });
}
