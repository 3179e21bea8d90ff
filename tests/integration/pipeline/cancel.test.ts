import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { experimentProgressQuery } from '../../../lib/contracts/experiment.ts';
import { expandGrid, parseGrid } from '../../../lib/experiments/grid.ts';
import {
  buildExperimentInput,
  startExperiment,
  watchExperiment,
} from '../../../lib/runtime/experiment-client.ts';
import {
  liveActivities,
  startPipeline,
  watchPipeline,
} from '../../../lib/runtime/pipeline-client.ts';
import type { ArtifactStore } from '../../../lib/store/index.ts';
import { MANIFEST_NAME, joinKey, readManifest } from '../../../lib/store/index.ts';
import { MlflowClient } from '../../../lib/tracking/index.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';

// A GAN that would train for minutes: the run is cancelled a few epochs in.
const raw = {
  name: `cancel-${Date.now().toString(36)}`,
  data: { source: 'synthetic:users=400,items=250,interactions=16000,seed=3' },
  preprocess: { kCore: 3 },
  // Never validated, so never stopped early.
  gan: {
    generatorUnits: 32,
    discriminatorUnits: 16,
    epochs: 5000,
    checkpointEvery: 2,
    validateEvery: 0,
  },
  llm: { enabled: false },
  model: { factors: 8, epochs: 3 },
  registry: { enabled: false },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000) {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Every published manifest names files that exist with their recorded sizes. */
async function expectWholeManifests(store: ArtifactStore) {
  const manifests = (await store.list('stages/')).filter((k) => k.endsWith(`/${MANIFEST_NAME}`));
  for (const key of manifests) {
    const m = await readManifest(store, key.slice(0, -MANIFEST_NAME.length - 1));
    for (const f of m!.files) {
      const bytes = await store.getBytes(joinKey(m!.key, f.name));
      expect(bytes.byteLength).toBe(f.bytes);
    }
  }
  return manifests;
}

describe('cancellation', () => {
  it('stops a training stage at its next heartbeat and publishes nothing of it', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client, store }) => {
      const handle = await startPipeline(client, settings, parsePipelineConfig(raw));
      // Wait until the GAN has trained a few epochs (its heartbeats say which).
      await until('GAN epoch 3', async () => {
        const gan = (await liveActivities(handle)).find((a) => a.activity === 'trainGan');
        return Number(gan?.details?.epoch ?? 0) >= 3 ? true : undefined;
      });
      await handle.cancel();
      const summary = await watchPipeline(handle);
      expect(summary.status).toBe('cancelled');
      const stage = (name: string) => summary.stages.find((s) => s.name === name);
      expect(stage('preprocess')?.status).toBe('done');
      expect(stage('trainGan')).toMatchObject({ status: 'failed', error: 'cancelled' });
      expect(stage('resample')?.status).toBe('pending');

      // The workflow closes at once (the activity is cancelled "try" style); the activity
      // itself stops at its next heartbeat: its checkpoints stop within seconds (a GAN
      // epoch here takes milliseconds, so one more epoch would show as a new checkpoint).
      const cancelledAt = Date.now();
      let last = await store.list('checkpoints/');
      const stoppedAfter = await until(
        'the training to stop',
        async () => {
          await sleep(3_000);
          const now = await store.list('checkpoints/');
          const same = JSON.stringify(now) === JSON.stringify(last);
          last = now;
          return same ? (Date.now() - cancelledAt) / 1000 : undefined;
        },
        20_000,
      );
      expect(stoppedAfter).toBeLessThan(10);
      // Nothing of the GAN was published; what was published is whole.
      const manifests = await expectWholeManifests(store);
      expect(manifests.some((k) => k.startsWith('stages/trainGan/'))).toBe(false);
      // ingest and preprocess, and the teacher when it finished beside the GAN.
      const published = manifests.map((k) => k.split('/')[1]).sort();
      expect(published.filter((st) => st !== 'teacher')).toEqual(['ingest', 'preprocess']);
      // The MLflow run is closed as KILLED.
      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      expect((await mlflow.getRun(summary.mlflow!.runId)).info.status).toBe('KILLED');
    });
  });

  it('cancelling an experiment cancels its running children', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client, store }) => {
      const grid = parseGrid({ parameters: { 'resample.syntheticShare': [0.1, 0.2] } }, 'g');
      const input = buildExperimentInput(settings, expandGrid(raw, grid, 'g'), grid);
      const handle = await startExperiment(client, settings, input);
      // The GAN warm-up is training.
      const warm = await until('the GAN warm-up', async () => {
        const p = await handle.query(experimentProgressQuery).catch(() => undefined);
        const w = p?.warmups.find((x) => x.until === 'generateGan' && x.status === 'running');
        if (!w) return undefined;
        // The progress names the child as it starts it; until the server has it, ask again.
        const live = await liveActivities(client.workflow.getHandle(w.workflowId)).catch(() => []);
        const gan = live.find((a) => a.activity === 'trainGan');
        return gan ? w.workflowId : undefined;
      });
      await handle.cancel();
      const summary = await watchExperiment(handle);
      expect(summary.status).toBe('cancelled');
      expect(summary.progress?.phase).toBe('cancelled');
      expect(summary.progress?.variants.map((v) => v.status)).toEqual(['cancelled', 'cancelled']);
      const child = await client.workflow.getHandle(warm).describe();
      expect(child.status.name).toBe('CANCELLED');
      // No variant ever started, and no GAN output was published.
      for (const v of input.variants) {
        await expect(
          client.workflow.getHandle(`${handle.workflowId}-${v.label}`).describe(),
        ).rejects.toThrow();
      }
      const manifests = await expectWholeManifests(store);
      expect(manifests.some((k) => k.startsWith('stages/trainGan/'))).toBe(false);
    });
  });
});
