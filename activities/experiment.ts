import type { MlflowRef } from '../lib/contracts/index.ts';
import type { VariantRow } from '../lib/contracts/experiment.ts';
import { buildComparison, renderComparison } from '../lib/experiments/compare.ts';
import type { ExperimentComparison } from '../lib/experiments/compare.ts';
import { describeOverrides } from '../lib/experiments/grid.ts';
import { joinKey } from '../lib/store/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import type { MlflowClient } from '../lib/tracking/index.ts';
import { metricKey, withFinalErrors, workflowRun } from './track.ts';

/** Where an experiment's comparison lives in the artifact store. */
function comparisonKey(experimentId: string): string {
  return joinKey('experiments', experimentId);
}

/**
 * Activities of the experiment workflow: the comparison (artifact store) and the
 * experiment's MLflow run, under which the variants' runs are nested. Idempotent: the
 * comparison is overwritten whole, the run is looked up by tag before it is created.
 */
export function experimentActivities(
  store: ArtifactStore,
  mlflow: MlflowClient,
  experimentName: string,
) {
  return withFinalErrors({
    async compareExperiment(input: {
      experimentId: string;
      name: string;
      createdAt: string;
      axes: ExperimentComparison['axes'];
      rows: VariantRow[];
    }): Promise<{ key: string; outputs: Record<string, string>; best?: string }> {
      const comparison = buildComparison(input);
      const key = comparisonKey(input.experimentId);
      const json = joinKey(key, 'comparison.json');
      const html = joinKey(key, 'comparison.html');
      await store.putBytes(json, JSON.stringify(comparison, null, 1));
      await store.putBytes(html, renderComparison(comparison));
      return {
        key,
        outputs: { 'comparison.json': store.uriOf(json), 'comparison.html': store.uriOf(html) },
        ...(comparison.best ? { best: comparison.best } : {}),
      };
    },

    trackExperimentStart(input: {
      experimentId: string;
      name: string;
      axes: ExperimentComparison['axes'];
      variants: { label: string; overrides: Record<string, unknown> }[];
    }): Promise<MlflowRef> {
      return workflowRun(mlflow, experimentName, {
        pipeline: input.name,
        workflowId: input.experimentId,
        tags: { kind: 'experiment' },
        params: () => ({
          variants: String(input.variants.length),
          ...Object.fromEntries(
            input.axes.map((a) => [`grid.${a.path}`, JSON.stringify(a.values)]),
          ),
          ...Object.fromEntries(
            input.variants.map((v) => [`variant.${v.label}`, describeOverrides(v.overrides)]),
          ),
        }),
      });
    },

    /** Each variant's figures as `<label>.<metric>` metrics, the comparison as artifacts. */
    async trackExperimentEnd(input: {
      parent: MlflowRef;
      key: string;
      rows: VariantRow[];
    }): Promise<void> {
      const now = Date.now();
      const metrics = input.rows.flatMap((r) =>
        Object.entries({
          A: r.a,
          B: r.b,
          delta: r.delta,
          ciLow: r.ciLow,
          ciHigh: r.ciHigh,
          pValue: r.pValue,
          promote: r.promote === undefined ? undefined : Number(r.promote),
          seconds: r.seconds,
        })
          .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
          .map(([k, value]) => ({
            key: metricKey(`${r.label}.${k}`),
            value,
            timestamp: now,
            step: 0,
          })),
      );
      metrics.push({
        key: 'failedVariants',
        value: input.rows.filter((r) => r.status !== 'completed').length,
        timestamp: now,
        step: 0,
      });
      await mlflow.logBatch(input.parent.runId, { metrics });
      for (const name of ['comparison.json', 'comparison.html'])
        await mlflow.artifacts.upload(
          input.parent.runId,
          name,
          await store.getBytes(joinKey(input.key, name)),
        );
      // The experiment finished even if a variant failed: its row and failedVariants say so.
      await mlflow.updateRun(input.parent.runId, 'FINISHED');
    },
  });
}
