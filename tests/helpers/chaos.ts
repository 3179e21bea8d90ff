/**
 * Chaos across the DAG: the activities of a run served by a worker process that is killed
 * with SIGKILL at seeded moments inside chosen stages, and the checks that the finished run
 * is whole (the artifacts of a fault-free run, every manifest's files verified, MLflow
 * without duplicates or dangling runs).
 */
import { spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import type { ConnectionSettings } from '../../lib/config/env.ts';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import type { PipelineConfig } from '../../lib/config/pipeline.ts';
import { STAGES, progressQuery } from '../../lib/contracts/index.ts';
import type { StageName } from '../../lib/contracts/index.ts';
import { liveActivities } from '../../lib/runtime/pipeline-client.ts';
import type { LiveActivity, RunSummary } from '../../lib/runtime/pipeline-client.ts';
import { verifyRun } from '../../lib/runtime/run-artifacts.ts';
import { PROJECT_ROOT } from '../../lib/stack/config.ts';
import {
  MANIFEST_NAME,
  readManifest,
  readOutputBytes,
  sha256,
  stableStringify,
  verifyStageOutput,
} from '../../lib/store/index.ts';
import type { ArtifactStore } from '../../lib/store/index.ts';
import { MlflowClient, tagMap } from '../../lib/tracking/index.ts';
import { childProcessEnv, testSettings, withWorkers } from './temporal.ts';
import type { PipelineHarness } from './temporal.ts';
import { tempDir } from './tmp.ts';

/**
 * Stages whose output identity includes the run itself (register: the MLflow run and the
 * workflow id; report: the run id and start time), so two runs never share their bytes.
 */
export const PER_RUN_STAGES: readonly StageName[] = ['register', 'report'];

/** MLflow bookkeeping activities: not stages, and (no heartbeat) slow to notice a death. */
const TRACKING_ACTIVITIES = new Set(['trackStart', 'trackStage', 'trackEnd']);

/**
 * Kills end only first and second attempts, so every stage keeps attempts to spare of the
 * six its retry policy allows (the server's view of what runs lags, so a third may slip by).
 */
const MAX_ATTEMPT_KILLED = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so a seed names the same kill plan everywhere. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One planned kill: inside `stage`, at `fraction` of its fault-free running time. */
export interface PlannedKill {
  stage: StageName;
  fraction: number;
}

/** `kills` distinct stages of `stages` (seeded), each with a moment in [0.05, 0.5). */
export function chaosPlan(
  seed: number,
  stages: readonly StageName[],
  kills: number,
): PlannedKill[] {
  const random = seededRandom(seed);
  const pool = [...stages];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool
    .slice(0, Math.min(kills, pool.length))
    .map((stage) => ({ stage, fraction: 0.05 + 0.45 * random() }))
    .sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
}

/** The activities of both queues (`augment worker --role activities`) in their own process. */
export class ActivityWorkerProcess {
  private child: ChildProcess;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.child = this.spawn();
  }

  private spawn(): ChildProcess {
    const child = spawn(
      process.execPath,
      // Activities only: the workflows run in the test process, which nobody kills.
      [
        join(PROJECT_ROOT, 'bin', 'augment.mjs'),
        'worker',
        '--queues',
        'cpu,gpu',
        '--role',
        'activities',
      ],
      { cwd: PROJECT_ROOT, env: this.env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      // The ready line and Temporal's notes on the dead worker's tasks are noise here.
      if (/error|fail/i.test(text)) process.stderr.write(`[chaos worker ${child.pid}] ${text}`);
    });
    return child;
  }

  /** SIGKILL (no drain, no clean-up: a crashed machine), then a new process. */
  async killAndReplace(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
    this.child = this.spawn();
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Stage attempts as they start and end inside the worker: each attempt of a stage works in
 * its own folder `augment-<pid>-<stage>-*` below AUGMENT_WORK_DIR, made when the attempt
 * starts and removed when it ends, so watching that root times a kill to the millisecond
 * (a describe of the workflow takes up to half a second on a loaded machine, longer than
 * some stages run).
 */
export class StageAttemptWatch {
  readonly root: string;
  private readonly watcher: FSWatcher;
  /** Attempts in order of appearance: stage, folder, start and end (ms since epoch). */
  readonly attempts: {
    stage: string;
    dir: string;
    start: number;
    end?: number;
    /** Running when the worker was killed (its folder is removed by the next worker). */
    killed?: boolean;
  }[] = [];

  constructor(root: string) {
    this.root = root;
    this.watcher = watch(root, (_event, name) => {
      const m = name ? /^augment-\d+-([A-Za-z]+)-/.exec(name) : null;
      if (!m) return;
      const dir = join(root, name!);
      const known = this.attempts.find((a) => a.dir === dir);
      if (existsSync(dir)) {
        if (!known) this.attempts.push({ stage: m[1]!, dir, start: Date.now() });
      } else if (known && known.end === undefined) known.end = Date.now();
    });
  }

  /** The first attempt of `stage`, once it has started. */
  first(stage: string) {
    return this.attempts.find((a) => a.stage === stage);
  }

  /** The attempt of `stage` that runs now, if one does. */
  running(stage: string) {
    return this.attempts.find((a) => a.stage === stage && a.end === undefined && !a.killed);
  }

  /** Whether an attempt of `stage` ended by itself (the stage finished, or failed). */
  ended(stage: string): boolean {
    return this.attempts.some((a) => a.stage === stage && a.end !== undefined && !a.killed);
  }

  /** Marks every running attempt as killed. */
  killedNow(): void {
    for (const a of this.attempts) if (a.end === undefined) a.killed = true;
  }

  /** Seconds each stage's first attempt took (start of its folder to its removal). */
  lifetimes(): Partial<Record<StageName, number>> {
    const out: Partial<Record<StageName, number>> = {};
    for (const a of this.attempts) {
      if (a.end !== undefined && out[a.stage as StageName] === undefined)
        out[a.stage as StageName] = (a.end - a.start) / 1000;
    }
    return out;
  }

  close(): void {
    this.watcher.close();
  }
}

/** A kill as delivered: where it landed and every activity that was running then. */
export interface DeliveredKill {
  stage: StageName;
  /** The stage the plan named, when the kill moved on from it (see `injectKills`). */
  planned?: StageName;
  /** Milliseconds after the attempt it killed started. */
  atMs: number;
  running: string[];
}

export interface ChaosOutcome {
  delivered: DeliveredKill[];
  /** Planned kills that found no attempt left to land in (the run ended first). */
  undelivered: StageName[];
}

/**
 * Follows the run and kills `worker` once per planned kill, `fraction` of the stage's
 * fault-free attempt time (`expected`, seconds) after its running attempt started (the
 * first, or the retry of one killed with another target), if that attempt still runs.
 * A tracking activity has no heartbeat (a death there is noticed at its one-minute
 * timeout), so in a stage of a second or more the kill waits for a running one to end
 * while the target's attempt has time left. A stage that finishes before its moment (faster than in the fault-free run)
 * passes its kill on to the next attempt of any stage that starts after.
 */
export async function injectKills(
  handle: WorkflowHandle,
  worker: ActivityWorkerProcess,
  watch: StageAttemptWatch,
  plan: PlannedKill[],
  expected: Partial<Record<StageName, number>>,
): Promise<ChaosOutcome> {
  type Pending = PlannedKill & { planned?: StageName; after?: number };
  const pending: Pending[] = plan.map((p) => ({ ...p }));
  const outcome: ChaosOutcome = { delivered: [], undelivered: [] };
  let ended = false;
  const result = handle.result().finally(() => (ended = true));
  result.catch(() => undefined);
  // What the server says runs and which stages are finished, refreshed in the background:
  // a describe can take longer than a short stage, so the kill itself never waits for one.
  let live: LiveActivity[] = [];
  let finished = new Set<string>();
  let lastKill = 0;
  const polling = (async () => {
    while (!ended && pending.length > 0) {
      const [now, progress] = await Promise.all([
        liveActivities(handle).catch(() => undefined),
        handle.query(progressQuery).catch(() => undefined),
      ]);
      if (now) live = now.filter((a) => !a.waiting);
      if (progress)
        finished = new Set(
          progress.stages
            .filter((x) => !['pending', 'running'].includes(x.status))
            .map((x) => x.name),
        );
      await sleep(50);
    }
  })();
  const expectedMs = (stage: string) => (expected[stage as StageName] ?? 1) * 1000;
  while (pending.length > 0 && !ended) {
    let due: { kill: Pending; dir: string; start: number } | undefined;
    for (const kill of pending) {
      // Finished: by an attempt of its own, or by a retry that found the output published
      // by the attempt that was killed (a cache hit makes no work folder).
      if (kill.after === undefined && (watch.ended(kill.stage) || finished.has(kill.stage))) {
        // Finished before its moment: the next attempt to start takes the kill.
        Object.assign(kill, { planned: kill.planned ?? kill.stage, after: Date.now() });
      }
      if (kill.after !== undefined) {
        // At most two kills per stage: each costs the stage an attempt of the six its
        // retry policy allows.
        const kills = (stage: string) =>
          outcome.delivered.filter((k) => k.stage === stage).length +
          pending.filter((p) => p.after === undefined && p.stage === stage).length;
        const next = watch.attempts.find(
          (a) => a.start >= kill.after! && a.end === undefined && !a.killed && kills(a.stage) < 2,
        );
        if (!next) continue;
        Object.assign(kill, { stage: next.stage as StageName, after: undefined });
      }
      // The first attempt, or the retry of one that died with an earlier kill.
      const a = watch.running(kill.stage);
      if (a && Date.now() >= a.start + kill.fraction * expectedMs(kill.stage))
        due ??= { kill, dir: a.dir, start: a.start };
    }
    if (!due) {
      await sleep(5);
      continue;
    }
    // A tracking call dies too if it runs now (it is retried after its one-minute timeout):
    // wait for it to end while the target has time left, else kill through it.
    // Tracking calls started before the last kill died with it (the server still lists
    // them until their timeout).
    // A stage under a second overlaps the tracking of the stage before it from its start:
    // it is killed through that call, or it would finish first.
    const late =
      expectedMs(due.kill.stage) < 1000 ||
      Date.now() >= due.start + 0.8 * expectedMs(due.kill.stage);
    const alive = live.filter((a) => (a.startedAt ?? 0) > lastKill);
    const tracking = alive.some((a) => TRACKING_ACTIVITIES.has(a.activity));
    // A stage that runs beside the target dies with it: none past its second attempt.
    const worn = alive.some((a) => a.attempt > MAX_ATTEMPT_KILLED);
    if ((tracking && !late) || worn) {
      await sleep(5);
      continue;
    }
    if (!existsSync(due.dir)) continue;
    const { stage, planned } = due.kill;
    const killedWith = alive.filter((a) => a.activity !== stage).map((a) => a.activity);
    watch.killedNow();
    lastKill = Date.now();
    await worker.killAndReplace();
    pending.splice(pending.indexOf(due.kill), 1);
    outcome.delivered.push({
      stage,
      ...(planned ? { planned } : {}),
      atMs: Date.now() - due.start,
      running: [stage, ...killedWith],
    });
  }
  await polling;
  outcome.undelivered.push(...pending.map((p) => p.planned ?? p.stage));
  return outcome;
}

/**
 * The attempt that completed each activity of the run, from its history: an attempt above 1
 * means earlier attempts died (here: the worker was killed) and Temporal retried them.
 */
export async function completedAttempts(
  client: Client,
  workflowId: string,
): Promise<Map<string, number>> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const typeOf = new Map<string, string>();
  const attempts = new Map<string, number>();
  for (const e of events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) typeOf.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const name = typeOf.get(String(started.scheduledEventId)) ?? '?';
      attempts.set(name, Math.max(attempts.get(name) ?? 0, started.attempt ?? 1));
    }
  }
  return attempts;
}

/**
 * Keys of the JSON documents that record wall-clock time (a stage's or an epoch's seconds),
 * or which of the stages running side by side got somewhere first (whether a stage reused
 * the strongest-baseline search another had stored: the same result either way), which no
 * two runs share. Data files (Parquet, model weights) are compared byte for byte.
 */
const TIMING_KEY = /^(seconds|[A-Za-z]+Seconds|ms|[A-Za-z]+Ms|[A-Za-z]+Reused)$/;

function withoutTimings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimings);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !TIMING_KEY.test(k))
        .map(([k, v]) => [k, withoutTimings(v)]),
    );
  return value;
}

/**
 * The output of each finished stage of a run as its content defines it, per-run stages left
 * out: the code identity that computed it, each data file's sha256, and each JSON
 * document's sha256 without its timings. (The key and the manifest's sha256 are not
 * compared: they also cover the raw documents, timings included.)
 */
export async function stageIdentities(
  store: ArtifactStore,
  summary: RunSummary,
): Promise<Partial<Record<StageName, Record<string, string>>>> {
  const out: Partial<Record<StageName, Record<string, string>>> = {};
  for (const s of summary.stages) {
    if (PER_RUN_STAGES.includes(s.name) || (s.status !== 'done' && s.status !== 'cached')) continue;
    const key = Object.values(s.outputs)[0]!.split('/').slice(-4, -1).join('/');
    const m = await readManifest(store, key);
    expect(m, `${s.name}: manifest of ${key}`).toBeDefined();
    // The code identity first: a source edited while the test runs shows up here.
    const files: Record<string, string> = { code: m!.code };
    for (const f of m!.files) {
      if (!f.name.endsWith('.json')) files[f.name] = f.sha256;
      else {
        const doc = JSON.parse(Buffer.from(await readOutputBytes(store, m!, f.name)).toString());
        files[f.name] = `without timings ${sha256(stableStringify(withoutTimings(doc)))}`;
      }
    }
    out[s.name] = files;
  }
  return out;
}

/**
 * Nothing half-published: every manifest under the store's `stages/` verifies (sealed, every
 * file present with its size and sha256), the run's own stages verify through its history,
 * and no checkpoint is left. Returns how many manifests were checked.
 */
export async function expectWholeArtifacts(
  client: Client,
  settings: ConnectionSettings,
  store: ArtifactStore,
  workflowId: string,
): Promise<number> {
  const report = await verifyRun(client, workflowId, settings.s3);
  expect(report.stages.filter((s) => s.status !== 'ok')).toEqual([]);
  expect(report.corruptions).toEqual([]);
  const manifests = (await store.list('stages/')).filter((k) => k.endsWith(`/${MANIFEST_NAME}`));
  for (const m of manifests) {
    const check = await verifyStageOutput(store, m.slice(0, -MANIFEST_NAME.length - 1));
    expect(check.status, `${m}: ${check.problems?.join('; ') ?? ''}`).toBe('ok');
  }
  expect(await store.list('checkpoints/')).toEqual([]);
  return manifests.length;
}

/**
 * MLflow holds exactly one run per stage and one parent for the workflow, none left
 * RUNNING, and exactly one model version per variant for the run.
 */
export async function expectCleanMlflow(
  settings: ConnectionSettings,
  summary: RunSummary,
  registeredModel: string,
): Promise<void> {
  const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
  const ref = summary.mlflow!;
  expect(ref, 'the run has an MLflow run').toBeDefined();
  const parents = await mlflow.searchRuns(
    [ref.experimentId],
    `tags.workflow_id = '${summary.workflowId}'`,
  );
  expect(parents.map((r) => [r.info.run_id, r.info.status])).toEqual([[ref.runId, 'FINISHED']]);
  const children = await mlflow.searchRuns(
    [ref.experimentId],
    `tags.mlflow.parentRunId = '${ref.runId}'`,
  );
  const stages = children.map((r) => tagMap(r.data.tags).stage).sort();
  const ran = summary.stages
    .filter((s) => s.status === 'done' || s.status === 'cached')
    .map((s) => s.name)
    .sort();
  expect(stages).toEqual(ran);
  expect(children.filter((r) => r.info.status !== 'FINISHED')).toEqual([]);
  const versions = await mlflow.registry.searchVersions(
    `name='${registeredModel}' and run_id='${ref.runId}'`,
  );
  expect(versions.map((v) => tagMap(v.tags).variant).sort()).toEqual(['A', 'B']);
}

/**
 * Runs `fn` with the workflows in this process and the activities in a worker process whose
 * stage attempts are watched, in a fresh artifact prefix. `env` points both at other
 * servers than the shared test stack's (a test's own, see own-servers.ts).
 */
export async function withActivityWorker<T>(
  fn: (
    h: PipelineHarness & { worker: ActivityWorkerProcess; watch: StageAttemptWatch },
  ) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const settings = testSettings(env);
  const watch = new StageAttemptWatch(tempDir('augment-chaos-work-'));
  return withWorkers(
    settings,
    async (h) => {
      const worker = new ActivityWorkerProcess({
        ...childProcessEnv(settings),
        ...env,
        AUGMENT_WORK_DIR: watch.root,
      });
      try {
        return await fn({ ...h, worker, watch });
      } finally {
        await worker.stop();
        watch.close();
      }
    },
    { role: 'workflows', queues: ['cpu'] },
  );
}

/**
 * Every branch on (GAN without its gate, LLM fallback, teacher, a two-candidate policy),
 * small enough that the whole DAG takes seconds per stage. A killed worker's attempt is
 * retried 10 s after its last heartbeat (the minimum).
 */
export function smallPipelineConfig(name: string, seed: number, ganEpochs: number): PipelineConfig {
  return parsePipelineConfig({
    name: `${name}-${Date.now().toString(36)}`,
    seed,
    data: { source: `synthetic:users=600,items=300,interactions=20000,seed=${seed}` },
    preprocess: { kCore: 3 },
    gan: {
      generatorUnits: 32,
      discriminatorUnits: 16,
      epochs: ganEpochs,
      checkpointEvery: 2,
      users: 'all',
      topK: 3,
      // A few-epoch generator rarely beats ItemKNN: without the gate its rows reach resample.
      gate: false,
    },
    llm: { users: 'all', sequence: { epochs: 2 } },
    augmentation: { perUser: [2], weights: [1], combined: false, maxCandidates: 2 },
    model: { factors: 8, epochs: 4, checkpointEvery: 2 },
    evaluate: { resamples: 1000 },
    orchestration: { heartbeatTimeoutSeconds: 10 },
  });
}
