import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { StageInput, StageName, StageRef } from '../lib/contracts/index.ts';
import { NON_RETRYABLE_ERRORS } from '../lib/contracts/index.ts';
import {
  MANIFEST_NAME,
  joinKey,
  publishStage,
  readManifest,
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
  /** Scratch folder, removed after the attempt. */
  workDir: string;
  /** Downloads an upstream output file to the scratch folder and returns its path. */
  inputFile(stage: StageName, file: string): Promise<string>;
  /** Upstream manifest (stats, rows), already loaded. */
  inputManifest(stage: StageName): StageManifest;
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
}

/** A stage definition: name, code version and a body. The runner does the rest. */
export interface StageDefinition<C> {
  name: StageName;
  /** Bump whenever the body changes what it writes: old cache entries stop matching. */
  codeVersion: string;
  /** Upstream stages whose outputs this stage reads. */
  needs: StageName[];
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
  const t0 = Date.now();
  const upstream: Partial<Record<StageName, StageManifest>> = {};
  const inputHashes: Record<string, string> = {};
  for (const need of def.needs) {
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
  try {
    const extra = def.extraIdentity ? await def.extraIdentity({ config: input.config, store }) : {};
    const identity: StageIdentity = {
      stage: def.name,
      config: input.config,
      inputs: { ...inputHashes, ...extra },
      codeVersion: def.codeVersion,
    };
    const key = stageKey(identity);
    const cached = await readManifest(store, key);
    if (cached) return toRef(def.name, store, cached, 'cached', (Date.now() - t0) / 1000);

    const ctx = activityContext();
    const workDir = await mkdtemp(join(tmpdir(), `augment-${def.name}-`));
    try {
      const out = await def.run({
        config: input.config,
        runId: input.runId,
        workDir,
        store,
        signal: ctx.signal,
        heartbeat: ctx.heartbeat,
        inputManifest: (stage) =>
          upstream[stage] ?? fail(`stage ${def.name} did not declare ${stage} in needs`),
        inputFile: async (stage, file) => {
          const m = upstream[stage] ?? fail(`stage ${def.name} did not declare ${stage} in needs`);
          if (!m.files.some((f) => f.name === file)) fail(`${stage} has no output file ${file}`);
          const local = join(workDir, 'in', stage, file);
          await store.getFile(joinKey(m.key, file), local);
          return local;
        },
      });
      ctx.heartbeat({ phase: 'publishing' });
      const manifest = await publishStage(store, {
        identity,
        kind: out.kind,
        files: out.files,
        inputs: def.needs.map((n) => ({
          name: n,
          uri: store.uriOf(joinKey(upstream[n]!.key, MANIFEST_NAME)),
          sha256: inputHashes[n]!,
        })),
        stats: out.stats,
        seconds: (Date.now() - t0) / 1000,
        signal: ctx.signal,
        onProgress: (bytes) => ctx.heartbeat({ phase: 'publishing', bytes }),
      });
      return toRef(def.name, store, manifest, 'done', (Date.now() - t0) / 1000);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  } catch (err) {
    throw toFailure(err);
  }
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
    status,
    seconds,
    rows: m.rows,
    outputs: Object.fromEntries(m.files.map((f) => [f.name, f.uri])),
    stats: m.stats,
  };
}

/** Heartbeat and cancellation, from Temporal when inside an activity, inert otherwise. */
function activityContext(): {
  signal: AbortSignal;
  heartbeat: (d?: Record<string, unknown>) => void;
} {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    ctx = undefined;
  }
  if (!ctx) return { signal: new AbortController().signal, heartbeat: () => undefined };
  const c = ctx;
  return {
    signal: c.cancellationSignal,
    heartbeat: (details) => {
      c.cancellationSignal.throwIfAborted();
      c.heartbeat(details);
    },
  };
}

/** Bad input and config errors are final; the rest (network, S3, crashes) are retried. */
export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const e = err as Error;
  if (e && NON_RETRYABLE_ERRORS.includes(e.name)) {
    return ApplicationFailure.create({
      message: e.message,
      type: e.name,
      nonRetryable: true,
      cause: e,
    });
  }
  return err;
}
