// expandLlm with a local GGUF model, through Temporal: the gpu-queue worker (in this
// process) loads llama.cpp's prebuilt binary and a tiny random-weight model written here,
// and the stage's provider, device and counts reach the run summary and MLflow.
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { MlflowClient } from '../../../lib/tracking/index.ts';
import { tinyGguf } from '../../helpers/tiny-gguf.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('expandLlm with provider gguf', () => {
  it('answers every selected user through llama.cpp and says so in the summary and MLflow', async () => {
    const settings = testSettings();
    const config = parsePipelineConfig({
      name: 'gguf-llm-test',
      data: { source: 'synthetic:users=200,items=100,interactions=4000,seed=6' },
      preprocess: { kCore: 2 },
      gan: { enabled: false },
      llm: {
        provider: 'gguf',
        users: 12,
        gguf: { modelPath: tinyGguf(tempDir()), gpu: 'cpu', threads: 1, maxTokens: 48 },
      },
    });
    await withWorkers(settings, async ({ client }) => {
      const handle = await startPipeline(client, settings, config, { until: 'expandLlm' });
      const summary = await watchPipeline(handle);
      expect(summary.status).toBe('completed');
      const stage = summary.stages.find((s) => s.name === 'expandLlm')!;
      expect(stage.status).toBe('done');
      expect(stage.stats).toMatchObject({
        provider: 'gguf',
        model: 'tiny-random-llama',
        device: 'cpu',
        fallback: false,
        users: 12,
        triples: 12,
        // Each user twice: the split is leave-last-out, so the same users are asked again
        // from their histories without the latest row (llm.oneStepBack).
        requests: 24,
      });
      expect(stage.stats.oneStepBackRows).toBeGreaterThan(0);

      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      const ref = summary.tracking.mlflow!;
      const [run] = await mlflow.searchRuns(
        [ref.experimentId],
        `tags.mlflow.parentRunId = '${ref.runId}' and tags.stage = 'expandLlm'`,
      );
      const tags = Object.fromEntries((run!.data.tags ?? []).map((t) => [t.key, t.value]));
      expect(tags).toMatchObject({ provider: 'gguf', device: 'cpu', fallback: 'false' });
      const metrics = Object.fromEntries((run!.data.metrics ?? []).map((m) => [m.key, m.value]));
      expect(metrics.triples).toBe(12);
      expect(metrics.promptTokens).toBeGreaterThan(12 * 100);
    });
  }, 180_000);
});
