import type { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ConnectionSettings } from '../config/env.ts';
import { ConfigError } from '../config/errors.ts';
import type { PipelineConfig } from '../config/pipeline.ts';
import { taskQueues } from '../contracts/index.ts';
import type { PipelineInput } from '../contracts/index.ts';

/** What `augment schedule create` accepts. */
export interface ScheduleRequest {
  id: string;
  /** Cron expression(s), e.g. `0 2 * * *`; or an interval. One of the two is required. */
  cron?: string;
  /** Interval such as `24h`, `30m`. */
  every?: string;
  /** IANA time zone of the cron expression. @default UTC */
  timezone: string;
  /** What to do when a run is still going at the next tick. @default SKIP */
  overlap: ScheduleOverlapPolicy;
  /** How late a missed run (server down) may still start. @default 1 hour */
  catchupWindow: string;
  /** Pause the schedule when a run fails, so an operator looks first. @default false */
  pauseOnFailure: boolean;
  /** Start paused. */
  paused?: boolean;
}

const OVERLAPS = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
];

/** Validates the request's words before anything reaches Temporal. */
export function checkScheduleRequest(r: ScheduleRequest): void {
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new ConfigError('schedule', [{ field, value, expected }]);
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(r.id))
    bad('id', r.id, 'letters, digits, . _ - (at most 100)');
  if (!r.cron === !r.every)
    bad('--cron/--every', r.cron ?? r.every, 'exactly one of --cron or --every');
  if (r.cron && r.cron.trim().split(/\s+/).length !== 5)
    bad('--cron', r.cron, 'five cron fields, e.g. "0 2 * * *"');
  if (r.every && !/^\d+(s|m|h|d)$/.test(r.every))
    bad('--every', r.every, 'a duration like 30m, 6h or 1d');
  if (!OVERLAPS.includes(String(r.overlap)))
    bad('--overlap', r.overlap, `one of ${OVERLAPS.join(', ')}`);
  try {
    new Intl.DateTimeFormat('en', { timeZone: r.timezone });
  } catch {
    bad('--timezone', r.timezone, 'an IANA time zone such as UTC or Europe/Berlin');
  }
}

/** Creates a Temporal Schedule that starts the pipeline with this config. */
export async function createSchedule(
  client: Client,
  settings: ConnectionSettings,
  config: PipelineConfig,
  r: ScheduleRequest,
): Promise<void> {
  checkScheduleRequest(r);
  const queues = taskQueues(settings.temporal.taskQueuePrefix);
  const input: PipelineInput = { config, queues };
  await client.schedule.create({
    scheduleId: r.id,
    spec: {
      ...(r.cron ? { cronExpressions: [r.cron] } : { intervals: [{ every: r.every! }] }),
      timezone: r.timezone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'pipeline',
      // Temporal appends the scheduled time, so every run has its own id, MLflow run and history.
      workflowId: r.id,
      taskQueue: queues.cpu,
      args: [input],
    },
    policies: {
      overlap: r.overlap,
      catchupWindow: r.catchupWindow,
      pauseOnFailure: r.pauseOnFailure,
    },
    state: { paused: r.paused ?? false, note: r.paused ? 'created paused' : undefined },
    // Temporal stores cron as calendars; the memo keeps what the operator wrote.
    memo: { spec: r.cron ? `cron "${r.cron}"` : `every ${r.every}`, pipeline: config.name },
  });
}

/** The operator's view of one schedule. */
export interface ScheduleView {
  id: string;
  paused: boolean;
  note?: string;
  spec: string;
  timezone?: string;
  overlap?: string;
  nextRuns: string[];
  recentRuns: { workflowId: string; scheduledAt: string }[];
  runsTaken?: number;
}

export async function describeSchedule(client: Client, id: string): Promise<ScheduleView> {
  const d = await client.schedule.getHandle(id).describe();
  return {
    id,
    paused: d.state.paused,
    note: d.state.note,
    spec: String(d.memo?.spec ?? 'set outside augment'),
    timezone: d.spec.timezone,
    overlap: d.policies.overlap,
    nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({
      workflowId: a.action.workflow.workflowId,
      scheduledAt: a.scheduledAt.toISOString(),
    })),
    runsTaken: d.info.numActionsTaken,
  };
}

export async function listSchedules(
  client: Client,
): Promise<{ id: string; paused: boolean; nextRuns: string[] }[]> {
  const out: { id: string; paused: boolean; nextRuns: string[] }[] = [];
  for await (const s of client.schedule.list()) {
    out.push({
      id: s.scheduleId,
      paused: s.state.paused,
      nextRuns: s.info.nextActionTimes.map((t) => t.toISOString()),
    });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}
