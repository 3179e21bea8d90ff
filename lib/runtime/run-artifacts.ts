/**
 * The artifacts of one pipeline run, as its Temporal history records them: each finished
 * stage's reference (key, manifest URI) and each stage failure that named a corrupted
 * artifact. Read from the history alone, so no worker is needed (`augment verify`, the
 * `--recompute` of `augment resume`).
 */
import type { Client } from '@temporalio/client';
import type { ConnectionSettings } from '../config/env.ts';
import { STAGES } from '../contracts/index.ts';
import type { StageName, StageRef } from '../contracts/index.ts';
import {
  MANIFEST_NAME,
  createStore,
  invalidateDownstream,
  verifyStageOutput,
} from '../store/index.ts';
import type { ArtifactStore, OutputCheck } from '../store/index.ts';

/** A stage failure of type ArtifactCorrupted: the object and the stage that produced it. */
export interface CorruptionReport {
  /** The stage whose activity failed reading it. */
  reader: string;
  uri: string;
  producer?: string;
}

export interface RunArtifacts {
  workflowId: string;
  /** The last reference of each stage that finished in the run's latest execution. */
  stages: StageRef[];
  corruptions: CorruptionReport[];
}

interface Payloads {
  payloads?: unknown[] | null;
}

/** Finished stages and corruption failures of the latest execution of `workflowId`. */
export async function runArtifacts(client: Client, workflowId: string): Promise<RunArtifacts> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const converter = client.options.loadedDataConverter;
  const decode = async (p: Payloads | null | undefined): Promise<unknown> => {
    let decoded = (p?.payloads ?? []) as Parameters<
      (typeof converter.payloadCodecs)[number]['decode']
    >[0];
    if (decoded.length === 0) return undefined;
    for (const codec of [...converter.payloadCodecs].reverse())
      decoded = await codec.decode(decoded);
    return converter.payloadConverter.fromPayload(decoded[0]!);
  };
  const activityOf = new Map<string, string>();
  const stages = new Map<StageName, StageRef>();
  const corruptions: CorruptionReport[] = [];
  for (const e of events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) activityOf.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const ref = (await decode(done.result)) as Partial<StageRef> | undefined;
      if (isStageRef(ref)) stages.set(ref.stage, ref);
    }
    const failure = e.activityTaskFailedEventAttributes?.failure;
    const info = failure?.applicationFailureInfo;
    if (info?.type === 'ArtifactCorrupted') {
      const details = (await decode(info.details)) as { uri?: string; producer?: string };
      if (details?.uri) {
        corruptions.push({
          reader:
            activityOf.get(String(e.activityTaskFailedEventAttributes?.scheduledEventId)) ?? '?',
          uri: details.uri,
          ...(details.producer ? { producer: details.producer } : {}),
        });
      }
    }
  }
  const order = (s: StageRef) => STAGES.indexOf(s.stage);
  return {
    workflowId,
    stages: [...stages.values()].sort((a, b) => order(a) - order(b)),
    corruptions,
  };
}

function isStageRef(x: Partial<StageRef> | undefined): x is StageRef {
  return (
    typeof x === 'object' &&
    x !== null &&
    STAGES.includes(x.stage as StageName) &&
    typeof x.key === 'string' &&
    typeof x.manifestUri === 'string'
  );
}

/** The store a reference's output lives in: its manifest URI without `/<key>/manifest.json`. */
export function storeOfRef(
  ref: Pick<StageRef, 'key' | 'manifestUri'>,
  s3: ConnectionSettings['s3'],
): ArtifactStore {
  const tail = `/${ref.key}/${MANIFEST_NAME}`;
  if (!ref.manifestUri.endsWith(tail))
    throw new Error(`${ref.manifestUri} is not the manifest of ${ref.key}`);
  return createStore(ref.manifestUri.slice(0, -tail.length), s3);
}

/** The description of a pipeline run; an experiment's stages live in its variants' runs. */
async function pipelineRun(client: Client, workflowId: string) {
  const desc = await client.workflow.getHandle(workflowId).describe();
  if (desc.type !== 'pipeline')
    throw new Error(
      `${workflowId} is a ${desc.type} workflow, not a pipeline run: use the workflow ids of its runs (augment status ${workflowId})`,
    );
  return desc;
}

export interface StageCheck extends OutputCheck {
  stage: StageName;
}

/** Every finished stage of a run, checked against its manifest (nothing runs). */
export async function verifyRun(
  client: Client,
  workflowId: string,
  s3: ConnectionSettings['s3'],
): Promise<{ stages: StageCheck[]; corruptions: CorruptionReport[] }> {
  await pipelineRun(client, workflowId);
  const run = await runArtifacts(client, workflowId);
  const stages: StageCheck[] = [];
  for (const ref of run.stages)
    stages.push({ stage: ref.stage, ...(await verifyStageOutput(storeOfRef(ref, s3), ref.key)) });
  return { stages, corruptions: run.corruptions };
}

/**
 * Invalidates `stage`'s output in the run and every output computed from it (see
 * `invalidateDownstream`), so that restarting the run with the same input republishes them
 * under the same keys. The output is found in the run's finished stages, or else in a
 * failure that named one of its objects as corrupted (e.g. its own manifest).
 */
export async function invalidateStage(
  client: Client,
  workflowId: string,
  stage: StageName,
  s3: ConnectionSettings['s3'],
): Promise<string[]> {
  const desc = await pipelineRun(client, workflowId);
  if (desc.status.name === 'RUNNING')
    throw new Error(`${workflowId} is still running; recompute a stage of a run that has ended`);
  const run = await runArtifacts(client, workflowId);
  const ref = run.stages.find((s) => s.stage === stage);
  if (ref) return invalidateDownstream(storeOfRef(ref, s3), ref.key);
  const stageKeyIn = (uri: string) => /^(.+)\/(stages\/[^/]+\/[^/]+)\/[^/]+$/.exec(uri);
  for (const c of run.corruptions) {
    const m = stageKeyIn(c.uri);
    if (!m || !m[2]!.startsWith(`stages/${stage}/`)) continue;
    return invalidateDownstream(createStore(m[1]!, s3), m[2]!);
  }
  throw Object.assign(
    new Error(
      `${workflowId} has no output of stage ${stage} to recompute (finished: ${run.stages.map((s) => s.stage).join(', ') || 'none'})`,
    ),
    { name: 'ConfigError' },
  );
}
