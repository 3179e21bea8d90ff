import { ApplicationFailure } from '@temporalio/common';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { MlflowRef, StageRef } from '../lib/contracts/index.ts';
import { readManifest, readOutputBytes } from '../lib/store/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import type { MlflowClient } from '../lib/tracking/index.ts';
import { MlflowError, flattenParams } from '../lib/tracking/index.ts';
import { stageDatasets } from './lineage.ts';
import { toFailure } from './stage-runner.ts';

const CODE_VERSION = process.env.AUGMENT_CODE_VERSION ?? 'dev';
/**
 * The experiment kind MLflow's UI opens an experiment in (tag `mlflow.experimentKind`):
 * its model-training view, not the GenAI one.
 */
const MODEL_TRAINING = { 'mlflow.experimentKind': 'custom_model_development' };
/** Larger stage documents stay in the artifact store only (MLflow keeps their URI in tags). */
const DOCUMENT_LIMIT = 20 * 1024 * 1024;

/**
 * Tracking activities: a parent MLflow run per workflow and a nested run per stage.
 * Each is idempotent (looked up by tags before created), so Temporal's retries never
 * create duplicates.
 */
export function trackingActivities(
  mlflow: MlflowClient,
  experimentName: string,
  store: ArtifactStore,
) {
  async function findRun(experimentId: string, filter: string) {
    const [run] = await mlflow.searchRuns([experimentId], filter, 1);
    return run?.info;
  }

  return withFinalErrors({
    /** `parentRunId`: an experiment's run, under which this pipeline's run is nested. */
    trackStart(input: {
      workflowId: string;
      config: PipelineConfig;
      parentRunId?: string;
    }): Promise<MlflowRef> {
      return workflowRun(mlflow, experimentName, {
        pipeline: input.config.name,
        workflowId: input.workflowId,
        parentRunId: input.parentRunId,
        tags: { code_version: CODE_VERSION },
        params: () => Object.fromEntries(flattenParams(input.config).map((p) => [p.key, p.value])),
      });
    },

    async trackStage(input: { parent: MlflowRef; ref: StageRef }): Promise<void> {
      const { parent, ref } = input;
      const filter = `tags.mlflow.parentRunId = '${parent.runId}' and tags.stage = '${ref.stage}'`;
      const existing = await findRun(parent.experimentId, filter);
      const run =
        existing ??
        (await mlflow.createRun({
          experimentId: parent.experimentId,
          runName: ref.stage,
          parentRunId: parent.runId,
          tags: {
            stage: ref.stage,
            status: ref.status,
            stage_key: ref.key,
            manifest: ref.manifestUri,
            sha256: ref.sha256,
            code_identity: ref.code,
            ...(ref.worker ? { worker: ref.worker } : {}),
            ...labelTags(ref.stats),
          },
        }));
      const now = Date.now();
      const metrics = Object.entries(ref.stats)
        .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
        .map(([key, value]) => ({ key: metricKey(key), value, timestamp: now, step: 0 }));
      metrics.push({ key: 'seconds', value: ref.seconds, timestamp: now, step: 0 });
      metrics.push(...epochMetrics(ref.stats.history, now));
      await mlflow.logBatch(run.run_id, { metrics });
      // The parent carries every stage's figures too, prefixed, for one-glance comparison.
      await mlflow.logBatch(parent.runId, {
        metrics: metrics.map((m) => ({ ...m, key: `${ref.stage}.${m.key}` })),
      });
      // The stage's documents (report, evaluation, composition, expansion, histories) become
      // artifacts of the parent run, under the stage's name.
      const manifest = await readManifest(store, ref.key);
      // Splits and training sets become the pipeline run's dataset inputs (lineage).
      if (manifest) await mlflow.logInputs(parent.runId, stageDatasets(manifest));
      for (const f of manifest?.files ?? []) {
        if (!/\.(html|json)$/.test(f.name) || f.bytes > DOCUMENT_LIMIT) continue;
        const bytes = await readOutputBytes(store, manifest!, f.name);
        await mlflow.artifacts.upload(parent.runId, `${ref.stage}/${f.name}`, bytes);
      }
      await mlflow.updateRun(run.run_id, 'FINISHED');
    },

    async trackEnd(input: {
      parent: MlflowRef;
      status: 'FINISHED' | 'FAILED' | 'KILLED';
    }): Promise<void> {
      await mlflow.updateRun(input.parent.runId, input.status);
    },
  });
}

/**
 * The MLflow run of a workflow (a pipeline run or an experiment) in experiment
 * `<experimentName>/<pipeline>`: found by its `workflow_id` tag, or created with `tags` and
 * `params` (computed only then), so Temporal's retries never create a second one.
 */
export async function workflowRun(
  mlflow: MlflowClient,
  experimentName: string,
  input: {
    pipeline: string;
    workflowId: string;
    tags: Record<string, string>;
    params: () => Record<string, string>;
    parentRunId?: string;
  },
): Promise<MlflowRef> {
  const experimentId = await mlflow.getOrCreateExperiment(
    `${experimentName}/${input.pipeline}`,
    MODEL_TRAINING,
  );
  const [found] = await mlflow.searchRuns(
    [experimentId],
    `tags.workflow_id = '${input.workflowId}'`,
    1,
  );
  let run = found?.info;
  if (!run) {
    run = await mlflow.createRun({
      experimentId,
      runName: input.workflowId,
      ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}),
      tags: { workflow_id: input.workflowId, ...input.tags, pipeline: input.pipeline },
    });
    await mlflow.logBatch(run.run_id, { params: input.params() });
  }
  return { experimentId, runId: run.run_id, url: mlflow.runUrl(experimentId, run.run_id) };
}

/**
 * Stats that are words, not figures (backend, LLM provider and model, fallback) become
 * tags of the stage's run, so runs can be filtered by them.
 */
function labelTags(stats: Record<string, unknown>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(stats))
    if (typeof value === 'string' || typeof value === 'boolean')
      tags[key] = String(value).slice(0, 250);
  return tags;
}

/** Training stages report `history` (one entry per epoch): logged as step metrics. */
function epochMetrics(history: unknown, timestamp: number) {
  if (!Array.isArray(history)) return [];
  const out = [];
  for (const h of history as Record<string, unknown>[]) {
    const step = Number(h.epoch);
    for (const [key, value] of Object.entries(h)) {
      if (key === 'epoch' || typeof value !== 'number' || !Number.isFinite(value)) continue;
      out.push({ key: `epoch.${key}`, value, timestamp, step });
    }
  }
  return out;
}

/** MLflow keys allow letters, digits, `_ - . / :` and spaces: `ndcg@10` -> `ndcg_at_10`. */
export function metricKey(key: string): string {
  return key.replace(/@/g, '_at_').replace(/[^A-Za-z0-9_\-./: ]/g, '_');
}

/** Longest wait a server's Retry-After may impose on the next attempt. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * An MLflow failure as Temporal's retry policy should see it: errors that cannot succeed on
 * retry (4xx, bad input) are non-retryable; a throttling server's Retry-After becomes the
 * delay before the next attempt.
 */
export function trackingFailure(err: unknown): unknown {
  if (err instanceof MlflowError && err.retryable && err.retryAfterMs !== undefined) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.name,
      cause: err,
      nextRetryDelay: Math.min(err.retryAfterMs, MAX_RETRY_AFTER_MS),
    });
  }
  return toFailure(err);
}

/** Wraps MLflow activities so their failures reach Temporal classified (trackingFailure). */
export function withFinalErrors<T extends Record<string, (input: never) => Promise<unknown>>>(
  acts: T,
): T {
  return Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      async (input: never) => {
        try {
          return await fn(input);
        } catch (err) {
          throw trackingFailure(err);
        }
      },
    ]),
  ) as T;
}
