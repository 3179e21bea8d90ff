import type { Client } from '@temporalio/client';
import { queueOfActivity } from '../contracts/index.ts';
import type { QueueKind, TaskQueues } from '../contracts/index.ts';

/** temporal.api.enums.v1.TaskQueueType: workflow tasks, activity tasks. */
const WORKFLOW_TASKS = 1;
const ACTIVITY_TASKS = 2;
/**
 * A poller the server saw within this window counts as alive: an idle worker renews its
 * long poll about once a minute, and the server remembers pollers for minutes after they stop.
 */
const ALIVE_MS = 2 * 60_000;

/** What a queue's workers do, the task types they poll, and how to start them. */
const QUEUE_WORK: Record<QueueKind, { what: string; taskTypes: number[]; start: string }> = {
  cpu: {
    what: 'the workflow and data stages',
    taskTypes: [WORKFLOW_TASKS, ACTIVITY_TASKS],
    start: 'npx augment worker',
  },
  gpu: {
    what: 'the training stages',
    taskTypes: [ACTIVITY_TASKS],
    start: 'npx augment worker --queues gpu',
  },
};

/** Whether a worker has polled `queue` for `taskType` within ALIVE_MS. */
async function hasPoller(
  client: Client,
  queue: string,
  taskType: number,
  now: number,
): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: queue },
    taskQueueType: taskType,
  });
  return (res.pollers ?? []).some((p) => {
    const seconds = Number(p.lastAccessTime?.seconds?.toString() ?? 0);
    return now - seconds * 1000 < ALIVE_MS;
  });
}

/** The hint printed for a queue no worker polls (for one of its task types). */
export function noPollerHint(kind: QueueKind, queue: string): string {
  const q = QUEUE_WORK[kind];
  return (
    `no worker is polling task queue "${queue}" (${q.what}); the run waits until one does. ` +
    `Start one with \`${q.start}\` (same settings), or pass --worker to run one in this process.`
  );
}

export interface PollerWatchOptions {
  /** First check, after the workers that start with the run have had time to poll. @default 5000 */
  firstCheckMs?: number;
  /** Later checks. @default 15000 */
  everyMs?: number;
  /**
   * The run's activities a worker has started (their type names): a worker whose every
   * slot is taken stops polling its queue, so during a long stage the server sees no
   * poller although one is there, busy.
   */
  running?: () => readonly string[];
}

/** The queues the run's started activities run on: each has a worker, busy with them. */
export function busyQueues(running: readonly string[]): Set<QueueKind> {
  return new Set(running.map(queueOfActivity));
}

/**
 * Watches the run's task queues while a run is followed: says (through `say`) when no
 * worker polls one of them and none runs one of the run's activities from it - instead of
 * the run waiting silently - and again when one appears. A failing check (a server
 * hiccup) says nothing. Returns the function that stops it.
 */
export function watchPollers(
  client: Client,
  queues: TaskQueues,
  say: (line: string) => void,
  opts: PollerWatchOptions = {},
): () => void {
  const missing = new Set<QueueKind>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const now = Date.now();
    const busy = busyQueues(opts.running?.() ?? []);
    for (const kind of Object.keys(QUEUE_WORK) as QueueKind[]) {
      const polled = await Promise.all(
        QUEUE_WORK[kind].taskTypes.map((t) => hasPoller(client, queues[kind], t, now)),
      ).then(
        (each) => each.every(Boolean),
        () => undefined,
      );
      if (stopped || polled === undefined) continue;
      const served = polled || busy.has(kind);
      if (!served && !missing.has(kind)) say(noPollerHint(kind, queues[kind]));
      if (served && missing.has(kind)) say(`a worker now polls task queue "${queues[kind]}"`);
      if (served) missing.delete(kind);
      else missing.add(kind);
    }
    if (!stopped) timer = setTimeout(() => void check(), opts.everyMs ?? 15_000).unref();
  };
  timer = setTimeout(() => void check(), opts.firstCheckMs ?? 5000).unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
