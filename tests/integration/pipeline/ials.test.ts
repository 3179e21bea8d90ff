import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { loadModel } from '../../../lib/models/index.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { MlflowClient, tagMap } from '../../../lib/tracking/index.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';

// examples/ials.yaml's switch, on small data without the augmentation branches.
const config = parsePipelineConfig({
  name: `ials-${Date.now().toString(36)}`,
  data: { source: 'synthetic:users=400,items=250,interactions=20000,seed=5' },
  preprocess: { kCore: 3 },
  gan: { enabled: false },
  llm: { enabled: false },
  model: { family: 'ials', factors: 16, epochs: 4, checkpointEvery: 2 },
  // A test-user sample (the cap large runs rely on), on every path that reads it.
  evaluate: { resamples: 1000, maxUsers: 100 },
});

describe('model.family ials through the pipeline', () => {
  it('trains A and B with implicit ALS, stores models that load as ials, registers them', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client, store }) => {
      const run = await watchPipeline(await startPipeline(client, settings, config));
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('completed');
      const byName = Object.fromEntries(run.stages.map((s) => [s.name, s]));
      for (const stage of ['retrainA', 'retrainB'])
        expect(byName[stage]!.stats).toMatchObject({ family: 'ials', kernel: 'cg-simd' });
      expect(run.metrics?.A['ndcg@10']).toBeGreaterThan(0);
      const evaluated = byName.evaluate!.stats as { users: number; testUsers: number };
      expect(evaluated.users).toBe(100);
      expect(evaluated.testUsers).toBeGreaterThan(300);
      const reportUri = byName.report!.outputs['report.html']!;
      const html = new TextDecoder().decode(
        await store.getBytes(reportUri.slice(settings.artifactUri.length + 1)),
      );
      expect(html).toContain(`a seeded sample of 100 of ${evaluated.testUsers} test users`);

      // The stored model is a factor model tagged ials, and scores like one.
      const outputs = byName.retrainA!.outputs;
      const files = await Promise.all(
        ['model.json', 'weights.bin'].map(async (name) => ({
          name,
          bytes: await store.getBytes(outputs[name]!.slice(settings.artifactUri.length + 1)),
        })),
      );
      const model = await loadModel(files);
      expect(model.family).toBe('ials');
      const scores = new Float32Array(model.nItems);
      await model.scoreUsers(Int32Array.of(0), scores);
      expect(scores.some((s) => s !== 0)).toBe(true);

      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      const versions = await mlflow.registry.searchVersions(`name='${config.name}'`);
      expect(versions.map((v) => tagMap(v.tags).family)).toEqual(['ials', 'ials']);
    });
  }, 120_000);
});
