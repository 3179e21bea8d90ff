import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { STAGES } from '../../lib/contracts/index.ts';
import { startPipeline, watchPipeline } from '../../lib/runtime/pipeline-client.ts';
import { MlflowClient, tagMap } from '../../lib/tracking/index.ts';
import { testSettings, withWorkers } from '../helpers/temporal.ts';

const config = parsePipelineConfig({
  name: `e2e-${Date.now().toString(36)}`,
  data: { source: 'synthetic:users=500,items=300,interactions=25000,seed=9' },
  preprocess: { kCore: 3 },
  model: { factors: 16, epochs: 6, checkpointEvery: 2 },
  evaluate: { resamples: 1000 },
});

describe('the whole pipeline on the real stack', () => {
  it('runs every stage, decides, registers both candidates; a re-run is fully cached', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client, store }) => {
      const first = await watchPipeline(await startPipeline(client, settings, config));
      expect(first.error).toBeUndefined();
      // MLflow kept up with every stage (nothing was rejected and retried away).
      expect(first.tracking.error).toBeUndefined();
      expect(first.status).toBe('completed');
      expect(first.stages.map((s) => [s.name, s.status])).toEqual(
        STAGES.map((name) => [name, 'done']),
      );
      const byName = Object.fromEntries(first.stages.map((s) => [s.name, s]));
      // No augmentation stage exists yet, so B's training set is A's: same rows, same model.
      expect(byName.resample!.stats).toMatchObject({ syntheticInput: 0 });
      expect(byName.retrainA!.stats).toMatchObject({ family: 'bpr', backend: 'wasm' });
      expect((byName.retrainA!.stats.history as unknown[]).length).toBeGreaterThan(0);
      // Checkpoints are deleted once the model is published.
      expect(await store.list('checkpoints/')).toEqual([]);

      // The summary carries metrics and the decision; B = A never promotes.
      expect(first.metrics?.A['ndcg@10']).toBeGreaterThan(0);
      expect(first.metrics?.B['ndcg@10']).toBe(first.metrics?.A['ndcg@10']);
      expect(first.decision?.promote).toBe(false);
      expect(first.decision?.reasons[0]).toMatch(/^keep A/);
      expect(first.mlflow?.runId).toBeTruthy();

      // Registry: versions A and B with tags; no champion alias because nothing was promoted.
      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      const versions = await mlflow.registry.searchVersions(`name='${config.name}'`);
      expect(versions.map((v) => tagMap(v.tags).variant).sort()).toEqual(['A', 'B']);
      expect(tagMap(versions[0]!.tags)).toMatchObject({ decision: 'keep A', family: 'bpr' });
      expect(await mlflow.registry.getVersionByAlias(config.name, 'champion')).toBeUndefined();
      // Per-epoch training metrics reached the nested run of retrainA.
      const history = await mlflow.getMetricHistory(
        (
          await mlflow.searchRuns(
            [first.mlflow!.experimentId],
            `tags.mlflow.parentRunId = '${first.mlflow!.runId}' and tags.stage = 'retrainA'`,
          )
        )[0]!.info.run_id,
        'epoch.loss',
      );
      expect(history.length).toBe((byName.retrainA!.stats.history as unknown[]).length);

      const second = await watchPipeline(await startPipeline(client, settings, config));
      expect(second.status).toBe('completed');
      // Every stage is reused; registration belongs to the new run, so it runs again.
      expect(second.stages.map((s) => [s.name, s.status])).toEqual(
        STAGES.map((name) => [name, name === 'register' ? 'done' : 'cached']),
      );
      expect(second.metrics).toEqual(first.metrics);
    });
  }, 300_000);
});
