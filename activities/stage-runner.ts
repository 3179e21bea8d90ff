import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { StageInput, StageName, StageRef } from '../lib/contracts/index.ts';
import { codeIdentityOf } from '../lib/code-identity/index.ts';
import { diskFullError, makeWorkDir } from './work-dirs.ts';
import { NON_RETRYABLE_ERRORS } from '../lib/contracts/index.ts';
import {
  ArtifactCorruptedError,
  MANIFEST_NAME,
  joinKey,
  publishStage,
  readManifest,
  readOutputFile,
  sha256,
  stageKey,
} from '../lib/store/index.ts';
import type {
  ArtifactStore,
  OutputFile,
  StageIdentity,
  StageManifest,
} from '../lib/store/index.ts';

/** What a stage's body gets: a scratch folder, its inputs on local disk, heartbeats. */
export interface StageContext<C> {
  config: C;
  runId: string;
  /** This stage output's content-addressed key (checkpoints live under it). */
  key: string;
  /** Details of the last heartbeat of a previous attempt (e.g. its checkpoint), if any. */
  previousHeartbeat?: Record<string, unknown>;
  /** Scratch folder, removed after the attempt. */
  workDir: string;
  /**
   * Downloads an upstream output file to the scratch folder and returns its path; its
   * sha256 is checked against the upstream manifest while it streams (ArtifactCorrupted).
   */
  inputFile(stage: StageName, file: string): Promise<string>;
  /** Upstream manifest (stats, rows), already loaded. */
  inputManifest(stage: StageName): StageManifest;
  /** Whether an upstream output was passed (always true for `needs`; for `optional`, maybe). */
  hasInput(stage: StageName): boolean;
  /** Heartbeats progress details; throws if the activity was cancelled. */
  heartbeat(details?: Record<string, unknown>): void;
  /** Aborted when Temporal cancels the activity. */
  signal: AbortSignal;
  store: ArtifactStore;
}

/** What a stage's body returns: files to publish and small stats. */
export interface StageOutput {
  kind: string;
  files: OutputFile[];
  stats: Record<string, unknown>;
  /** Runs once the output is published (e.g. deleting checkpoints that are now useless). */
  afterPublish?: () => Promise<unknown>;
}

/** Writes `value` as JSON into the stage's scratch folder and describes it as an output. */
export async function jsonOutput(
  workDir: string,
  name: string,
  value: unknown,
  space?: number,
): Promise<OutputFile> {
  const path = join(workDir, name);
  await writeFile(path, JSON.stringify(value, null, space));
  return { name, path };
}

/** Some files of an upstream output: by name, or every file but the named ones. */
export type FileSelection = string[] | { except: string[] };

/** A stage definition: name, where its code lives and a body. The runner does the rest. */
export interface StageDefinition<C> {
  name: StageName;
  /**
   * `import.meta.url` of the module that defines the stage: its code identity (the files it
   * reaches, see lib/code-identity) is part of every output key, so a code change can never
   * return an output computed by older code.
   */
  source: string;
  /** Optional hand-kept addition to the code identity, for deliberate invalidation only. */
  salt?: string;
  /** Upstream stages whose outputs this stage reads. */
  needs: StageName[];
  /**
   * Upstream stages read when the workflow passes them (e.g. an augmentation branch that
   * may be disabled); when present they are part of the identity like `needs`.
   */
  optional?: StageName[];
  /**
   * For an upstream stage listed here, the only files the body may read: a stage that must
   * never see the validation or test split (a generator) says so, and the runner enforces it.
   */
  reads?: Partial<Record<StageName, string[]>>;
  /**
   * For an upstream stage listed here, only these of its files enter this stage's identity
   * (instead of the whole output): e.g. model A depends on `a.parquet`, not on how B was
   * augmented, so experiments that differ only in augmentation share A. Also how logs with
   * timings (histories) stay out of downstream keys: same data, same key.
   */
  identityFiles?: (config: C) => Partial<Record<StageName, FileSelection>>;
  /** Identity parts beyond config and inputs (e.g. a source file's hash). */
  extraIdentity?: (ctx: { config: C; store: ArtifactStore }) => Promise<Record<string, string>>;
  run(ctx: StageContext<C>): Promise<StageOutput>;
}

/**
 * The one cached-stage mechanism: compute the content-addressed key; if its manifest
 * exists, return it as `cached`; otherwise run the body in a scratch folder, publish its
 * files and then the manifest, and return `done`. Bad-input errors become non-retryable
 * ApplicationFailures; everything else is retried by Temporal's policy.
 */
export async function runStage<C>(
  def: StageDefinition<C>,
  input: StageInput<C>,
  store: ArtifactStore,
): Promise<StageRef> {
  try {
    return await runCachedStage(def, input, store);
  } catch (err) {
    throw toFailure(err);
  }
}

async function runCachedStage<C>(
  def: StageDefinition<C>,
  input: StageInput<C>,
  store: ArtifactStore,
): Promise<StageRef> {
  const t0 = Date.now();
  const upstream: Partial<Record<StageName, StageManifest>> = {};
  const inputHashes: Record<string, string> = {};
  const present = (def.optional ?? []).filter((o) => input.inputs[o]);
  const needs = [...def.needs, ...present];
  for (const need of needs) {
    const ref = input.inputs[need];
    if (!ref)
      throw ApplicationFailure.nonRetryable(
        `stage ${def.name} needs the output of ${need}`,
        'ConfigError',
      );
    const manifest = await readManifest(store, ref.key);
    if (!manifest) {
      throw ApplicationFailure.nonRetryable(
        `input ${need} is gone from the artifact store (${ref.manifestUri})`,
        'InputNotFound',
      );
    }
    upstream[need] = manifest;
    inputHashes[need] = manifest.sha256;
  }
  for (const [need, names] of Object.entries(def.identityFiles?.(input.config) ?? {})) {
    // An optional input that was not passed has no identity to narrow.
    if (def.optional?.includes(need as StageName) && !upstream[need as StageName]) continue;
    const m = upstream[need as StageName] ?? fail(`${def.name}: ${need} is not in needs`);
    inputHashes[need] = filesIdentity(m, names);
  }
  const extra = def.extraIdentity ? await def.extraIdentity({ config: input.config, store }) : {};
  const identity: StageIdentity = {
    stage: def.name,
    config: input.config,
    inputs: { ...inputHashes, ...extra },
    code: stageCode(def),
  };
  const key = stageKey(identity);
  const cached = await readManifest(store, key);
  if (cached) return toRef(def.name, store, cached, 'cached', (Date.now() - t0) / 1000);

  const ctx = activityContext();
  const keepAlive = setInterval(ctx.beat, KEEPALIVE_MS);
  const workDir = await makeWorkDir(def.name);
  try {
    const out = await def
      .run({
        config: input.config,
        runId: input.runId,
        key,
        previousHeartbeat: ctx.previousHeartbeat,
        workDir,
        store,
        signal: ctx.signal,
        heartbeat: ctx.heartbeat,
        hasInput: (stage) => upstream[stage] !== undefined,
        inputManifest: (stage) =>
          upstream[stage] ?? fail(`stage ${def.name} did not declare ${stage} in needs`),
        inputFile: async (stage, file) => {
          const m = upstream[stage] ?? fail(`stage ${def.name} did not declare ${stage} in needs`);
          if (!m.files.some((f) => f.name === file)) fail(`${stage} has no output file ${file}`);
          const allowed = def.reads?.[stage];
          if (allowed && !allowed.includes(file))
            fail(`stage ${def.name} may not read ${stage}/${file} (only ${allowed.join(', ')})`);
          const local = join(workDir, 'in', stage, file);
          await readOutputFile(store, m, file, local);
          return local;
        },
      })
      .catch((err: unknown) => {
        // ENOSPC from whatever wrote (a Parquet writer, a download) becomes one clear error.
        throw diskFullError(err, def.name, workDir) ?? err;
      });
    ctx.heartbeat({ phase: 'publishing' });
    const manifest = await publishStage(store, {
      identity,
      kind: out.kind,
      files: out.files,
      inputs: needs.map((n) => ({
        name: n,
        uri: store.uriOf(joinKey(upstream[n]!.key, MANIFEST_NAME)),
        sha256: inputHashes[n]!,
      })),
      stats: out.stats,
      seconds: (Date.now() - t0) / 1000,
      signal: ctx.signal,
      onProgress: (bytes) => ctx.heartbeat({ phase: 'publishing', bytes }),
    });
    await out.afterPublish?.();
    return toRef(def.name, store, manifest, 'done', (Date.now() - t0) / 1000);
  } finally {
    clearInterval(keepAlive);
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The stage's code identity, with its salt when it has one. */
export function stageCode(def: Pick<StageDefinition<unknown>, 'source' | 'salt'>): string {
  const code = codeIdentityOf(def.source);
  return def.salt ? `${code}+${def.salt}` : code;
}

/** Identity of some files of an upstream output: their names and content hashes. */
function filesIdentity(m: StageManifest, selection: FileSelection): string {
  const names = Array.isArray(selection)
    ? selection
    : m.files.map((f) => f.name).filter((n) => !selection.except.includes(n));
  const parts = names.map((n) => {
    const f = m.files.find((x) => x.name === n) ?? fail(`${m.stage} has no output file ${n}`);
    return `${f.name}:${f.sha256}`;
  });
  return sha256(parts.join('\n'));
}

function fail(msg: string): never {
  throw ApplicationFailure.nonRetryable(msg, 'ConfigError');
}

function toRef(
  stage: StageName,
  store: ArtifactStore,
  m: StageManifest,
  status: StageRef['status'],
  seconds: number,
): StageRef {
  return {
    stage,
    key: m.key,
    manifestUri: store.uriOf(joinKey(m.key, MANIFEST_NAME)),
    sha256: m.sha256,
    code: m.code,
    status,
    seconds,
    rows: m.rows,
    outputs: Object.fromEntries(m.files.map((f) => [f.name, f.uri])),
    stats: m.stats,
    ...withWorker(),
  };
}

/**
 * The identity of the worker running this activity (its client reports the worker's
 * `identity` option), so a run's summary says which host did each stage. Nothing outside
 * an activity, or where the context has no client (a mock activity environment).
 */
function withWorker(): { worker?: string } {
  try {
    const identity = Context.current().client.options.identity;
    return identity ? { worker: identity } : {};
  } catch {
    return {};
  }
}

/**
 * How often the last heartbeat is re-sent while a stage body runs. Long loops yield to
 * the event loop but may report progress rarely (one epoch can take minutes); the
 * keep-alive lets heartbeat timeouts stay short, so a dead worker is noticed quickly,
 * while a body that blocks the event loop still misses its heartbeats as it should.
 */
const KEEPALIVE_MS = 5_000;

/** Heartbeat and cancellation, from Temporal when inside an activity, inert otherwise. */
function activityContext(): {
  signal: AbortSignal;
  heartbeat: (d?: Record<string, unknown>) => void;
  /** Re-sends the last heartbeat's details. */
  beat: () => void;
  previousHeartbeat?: Record<string, unknown>;
} {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    ctx = undefined;
  }
  if (!ctx) {
    return {
      signal: new AbortController().signal,
      heartbeat: () => undefined,
      beat: () => undefined,
    };
  }
  const c = ctx;
  const previous = c.info.heartbeatDetails as Record<string, unknown> | undefined;
  let last: Record<string, unknown> | undefined = previous;
  return {
    signal: c.cancellationSignal,
    previousHeartbeat: previous && typeof previous === 'object' ? previous : undefined,
    heartbeat: (details) => {
      c.cancellationSignal.throwIfAborted();
      last = details;
      c.heartbeat(details);
    },
    beat: () => c.heartbeat(last),
  };
}

/** Bad input and config errors are final; the rest (network, S3, crashes) are retried. */
export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const e = err as Error & { retryable?: boolean };
  // Bad input by name, or a client error that says it cannot succeed on retry (HTTP 4xx).
  if (e && (NON_RETRYABLE_ERRORS.includes(e.name) || e.retryable === false)) {
    return ApplicationFailure.create({
      message: e.message,
      type: e.name,
      nonRetryable: true,
      cause: e,
      // What `augment resume --recompute` and operators need, readable from the history.
      ...(e instanceof ArtifactCorruptedError
        ? {
            details: [{ uri: e.uri, expected: e.expected, actual: e.actual, producer: e.producer }],
          }
        : {}),
    });
  }
  return err;
}
