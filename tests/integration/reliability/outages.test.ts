import { describe, expect, inject, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { progressQuery } from '../../../lib/contracts/index.ts';
import type { StageName } from '../../../lib/contracts/index.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { TEST_PORTS, resolveStackOptions, stackUp, stopService } from '../../../lib/stack/index.ts';
import { readManifest } from '../../../lib/store/index.ts';
import type { ArtifactStore } from '../../../lib/store/index.ts';
import { connectClient } from '../../../lib/temporal/connection.ts';
import { MlflowClient } from '../../../lib/tracking/index.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';

/**
 * Outages of the real servers mid-run: S3 (MinIO) stopped for 30 s, MLflow stopped and
 * restarted, the Temporal dev server restarted on its database file. Each run must complete.
 * The servers are the shared test stack's; each test brings them back before it ends.
 */
const stack = inject('stack');
const opts = resolveStackOptions({ dir: stack.dir }, {}, TEST_PORTS);

function config(seed: number) {
  return parsePipelineConfig({
    name: `outage-${seed}`,
    seed,
    data: { source: 'synthetic:users=500,items=300,interactions=25000,seed=9' },
    preprocess: { kCore: 3 },
    gan: {
      generatorUnits: 64,
      discriminatorUnits: 32,
      epochs: 150,
      checkpointEvery: 5,
      users: 'all',
      topK: 3,
    },
    llm: { sequence: { epochs: 2 } },
    model: { factors: 16, epochs: 6, checkpointEvery: 2 },
    evaluate: { resamples: 1000 },
    orchestration: { heartbeatTimeoutSeconds: 15 },
  });
}

type Handle = Awaited<ReturnType<typeof startPipeline>>;

/** Resolves once `stage` is running (per the progress query). */
async function whenRunning(handle: Handle, stage: StageName): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const p = await handle.query(progressQuery).catch(() => undefined);
    const s = p?.stages.find((x) => x.name === stage);
    if (s?.status === 'running') return;
    if (s && s.status !== 'pending') throw new Error(`${stage} is ${s.status}, never seen running`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${stage} did not start within 2 minutes`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every published manifest's files exist with the recorded size: nothing half-published. */
async function checkPublished(store: ArtifactStore): Promise<number> {
  const manifests = (await store.list('stages/')).filter((k) => k.endsWith('/manifest.json'));
  for (const key of manifests) {
    const m = await readManifest(store, key.slice(0, -'/manifest.json'.length));
    expect(m, key).toBeDefined();
    for (const f of m!.files) {
      const bytes = await store.getBytes(`${m!.key}/${f.name}`);
      expect(bytes.length, `${m!.key}/${f.name}`).toBe(f.bytes);
    }
  }
  return manifests.length;
}

describe('outages of the real servers mid-run', () => {
  it('S3 down for 30 s during GAN training: retried, the run completes, nothing half-published', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client, store }) => {
      const handle = await startPipeline(client, settings, config(7001));
      await whenRunning(handle, 'trainGan');
      // Stop S3 once the GAN has a checkpoint, so a resume point exists however slow the machine.
      const deadline = Date.now() + 120_000;
      while ((await store.list('checkpoints/')).length === 0) {
        if (Date.now() > deadline) throw new Error('no GAN checkpoint within 2 minutes');
        await sleep(100);
      }
      expect(await stopService(opts, 's3')).toBe(true);
      await sleep(30_000);
      await stackUp(opts);
      const summary = await watchPipeline(handle);
      expect(summary.error).toBeUndefined();
      expect(summary.status).toBe('completed');
      const gan = summary.stages.find((s) => s.name === 'trainGan')!;
      expect(gan.status).toBe('done');
      // The outage hit training: a checkpoint upload failed, a retry resumed from the last one.
      expect(gan.stats.resumedFromEpoch).toBeGreaterThan(0);
      const done = summary.stages.filter((s) => s.status === 'done').length;
      expect(await checkPublished(store)).toBeGreaterThanOrEqual(done - 1);
    });
  }, 300_000);

  it('MLflow down mid-run: the run completes and tracking catches up', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client }) => {
      const handle = await startPipeline(client, settings, config(7002));
      await whenRunning(handle, 'trainGan');
      expect(await stopService(opts, 'mlflow')).toBe(true);
      await sleep(10_000);
      await stackUp(opts);
      const summary = await watchPipeline(handle);
      expect(summary.status).toBe('completed');
      expect(summary.tracking.error).toBeUndefined();
      // Every stage that ran has its nested MLflow run: nothing was lost.
      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      const ref = summary.mlflow!;
      const children = await mlflow.searchRuns(
        [ref.experimentId],
        `tags.mlflow.parentRunId = '${ref.runId}'`,
      );
      const tracked = children.map((r) => r.data.tags?.find((t) => t.key === 'stage')?.value);
      for (const s of summary.stages) expect(tracked, s.name).toContain(s.name);
      expect((await mlflow.getRun(ref.runId)).info.status).toBe('FINISHED');
    });
  }, 300_000);

  it('Temporal dev server restarted mid-run (same database): the run completes', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client }) => {
      const handle = await startPipeline(client, settings, config(7003));
      await whenRunning(handle, 'trainGan');
      expect(await stopService(opts, 'temporal')).toBe(true);
      await sleep(3_000);
      await stackUp(opts);
      // A new client: the old one's long poll died with the server.
      const fresh = await connectClient(settings.temporal);
      try {
        const again = fresh.workflow.getHandle(handle.workflowId);
        const summary = await watchPipeline(again);
        expect(summary.error).toBeUndefined();
        expect(summary.status).toBe('completed');
        expect(summary.stages.every((s) => s.status === 'done' || s.status === 'cached')).toBe(
          true,
        );
      } finally {
        await fresh.connection.close();
      }
    });
  }, 300_000);
});
