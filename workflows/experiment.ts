import {
  CancellationScope,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CpuActivities } from '../activities/index.ts';
import { mapPool } from '../lib/async/pool.ts';
import { WARMUP_PHASES, experimentProgressQuery } from '../lib/contracts/experiment.ts';
import type { PipelineInput, PipelineResult, StageProgress } from '../lib/contracts/index.ts';
import type {
  ExperimentInput,
  ExperimentProgress,
  ExperimentResult,
  VariantRow,
} from '../lib/contracts/experiment.ts';
import { pipeline, trackingOptions } from './pipeline.ts';
import { describeFailure } from './stage-tracker.ts';

/**
 * An experiment: one child `pipeline` per grid point, at most `maxParallel` at once, after
 * warm-up children that compute the shared upstream stages once (see lib/experiments/
 * warmup.ts); then a comparison table in the artifact store and in an MLflow run under
 * which every variant's run is nested. A failed variant is a row with its error, not a
 * failed experiment; cancelling the experiment cancels its children.
 */
export async function experiment(input: ExperimentInput): Promise<ExperimentResult> {
  const experimentId = workflowInfo().workflowId;
  const track = proxyActivities<CpuActivities>(trackingOptions(input.queues.cpu));
  // The comparison reads nothing big, but writes to the store: more time, same retries.
  const acts = proxyActivities<CpuActivities>({
    ...trackingOptions(input.queues.cpu),
    startToCloseTimeout: '10 minutes',
  });
  const progress: ExperimentProgress = {
    experimentId,
    phase: 'warming',
    warmups: input.warmups.map((w, k) => ({
      workflowId: `${experimentId}-warm${k + 1}`,
      until: w.until,
      status: 'pending',
    })),
    variants: input.variants.map((v) => ({
      label: v.label,
      overrides: v.overrides,
      workflowId: `${experimentId}-${v.label}`,
      status: 'pending',
    })),
    tracking: {},
  };
  setHandler(experimentProgressQuery, () => progress);

  const child = (workflowId: string, args: PipelineInput) =>
    executeChild(pipeline, {
      workflowId,
      taskQueue: input.queues.cpu,
      args: [args],
      retry: { maximumAttempts: 1 },
    });

  try {
    progress.tracking.mlflow = await track.trackExperimentStart({
      experimentId,
      name: input.name,
      axes: input.axes,
      variants: input.variants.map((v) => ({ label: v.label, overrides: v.overrides })),
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    progress.tracking.error = `starting the MLflow run: ${describeFailure(err)}`;
  }
  const parent = progress.tracking.mlflow;

  try {
    for (const phase of WARMUP_PHASES) {
      const steps = input.warmups.flatMap((w, k) => (phase.includes(w.until) ? [k] : []));
      await mapPool(steps, input.maxParallel, async (k) => {
        const w = input.warmups[k]!;
        const row = progress.warmups[k]!;
        row.status = 'running';
        try {
          await child(row.workflowId, {
            config: w.config,
            until: w.until,
            queues: input.queues,
            tracking: { enabled: false },
          });
          row.status = 'completed';
        } catch (err) {
          if (isCancellation(err)) throw err;
          // Not fatal: the variants compute what is missing themselves.
          row.status = 'failed';
          row.error = describeFailure(err);
        }
      });
    }
    progress.phase = 'running';
    await mapPool(input.variants, input.maxParallel, async (v, k) => {
      const row = progress.variants[k]!;
      row.status = 'running';
      const t0 = Date.now();
      try {
        const result = await child(row.workflowId, {
          config: v.config,
          ...(input.until ? { until: input.until } : {}),
          queues: input.queues,
          ...(parent ? { tracking: { parent } } : {}),
        });
        Object.assign(row, variantOutcome(result));
        row.status = 'completed';
      } catch (err) {
        if (isCancellation(err)) throw err;
        row.status = 'failed';
        row.error = describeFailure(err);
      } finally {
        row.seconds = (Date.now() - t0) / 1000;
      }
    });
    progress.phase = 'comparing';
    const comparison = await acts.compareExperiment({
      experimentId,
      name: input.name,
      createdAt: workflowInfo().runStartTime.toISOString(),
      axes: input.axes,
      rows: progress.variants,
    });
    if (parent) {
      try {
        await track.trackExperimentEnd({ parent, key: comparison.key, rows: progress.variants });
      } catch (err) {
        if (isCancellation(err)) throw err;
        progress.tracking.error = `closing the MLflow run: ${describeFailure(err)}`;
      }
    }
    progress.phase = 'completed';
    return {
      experimentId,
      variants: progress.variants,
      warmups: progress.warmups,
      ...(comparison.best ? { best: comparison.best } : {}),
      outputs: comparison.outputs,
      key: comparison.key,
      tracking: progress.tracking,
    };
  } catch (err) {
    const cancelled = isCancellation(err);
    progress.phase = cancelled ? 'cancelled' : 'failed';
    for (const r of progress.variants)
      if (r.status === 'running' || r.status === 'pending') r.status = 'cancelled';
    if (parent) {
      await CancellationScope.nonCancellable(async () => {
        try {
          await track.trackEnd({ parent, status: cancelled ? 'KILLED' : 'FAILED' });
        } catch {
          // The experiment's own outcome matters more than its MLflow status.
        }
      });
    }
    throw err;
  }
}

/** What the comparison needs from a finished child: evaluation figures and references. */
function variantOutcome(result: PipelineResult): Partial<VariantRow> {
  const stage = (name: string): StageProgress | undefined =>
    result.stages.find((s) => s.name === name);
  const ran = result.stages.filter((s) => s.status === 'done' || s.status === 'cached');
  const ev = stage('evaluate')?.ref?.stats as Record<string, unknown> | undefined;
  const out: Partial<VariantRow> = {
    stagesDone: ran.filter((s) => s.status === 'done').length,
    stagesCached: ran.filter((s) => s.status === 'cached').length,
    ...(result.tracking.mlflow ? { mlflow: result.tracking.mlflow } : {}),
  };
  const report = stage('report')?.ref?.outputs['report.html'];
  if (report) out.report = report;
  if (ev) {
    const metric = String(ev.metric);
    const num = (k: string) => (typeof ev[k] === 'number' ? ev[k] : undefined);
    Object.assign(out, {
      metric,
      a: num(`A.${metric}`),
      b: num(`B.${metric}`),
      delta: num('delta'),
      ciLow: num('ciLow'),
      ciHigh: num('ciHigh'),
      pValue: num('pValue'),
      promote: ev.promote === true,
      reason: Array.isArray(ev.reasons) ? String(ev.reasons[0]) : undefined,
      metricsB: (ev.metrics as { B?: Record<string, number> } | undefined)?.B,
    });
  }
  return out;
}
