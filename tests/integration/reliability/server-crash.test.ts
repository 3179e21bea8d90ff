import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import type { PipelineConfig } from '../../../lib/config/pipeline.ts';
import type { StageName } from '../../../lib/contracts/index.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import type { RunSummary } from '../../../lib/runtime/pipeline-client.ts';
import { readManifest } from '../../../lib/store/index.ts';
import { connectClient } from '../../../lib/temporal/connection.ts';
import {
  completedAttempts,
  expectCleanMlflow,
  expectWholeArtifacts,
  smallPipelineConfig,
  stageIdentities,
  withActivityWorker,
} from '../../helpers/chaos.ts';
import type { StageAttemptWatch } from '../../helpers/chaos.ts';
import { OwnServers } from '../../helpers/own-servers.ts';

/**
 * Hard crashes (SIGKILL, no shutdown) of each real server mid-run, each on servers of the
 * test's own (free ports, a temp folder; see own-servers.ts) so that no other test file
 * sees them go. The server comes back on the same ports and data folder; the run must
 * complete with the bytes of a fault-free run, whole manifests and a clean MLflow.
 * `npm test` runs the Temporal case; SERVER_CRASHES=all (`npm run test:reliability`) adds
 * MinIO during a multipart upload and MLflow during a registry update.
 */
const ALL = process.env.SERVER_CRASHES === 'all';

/** Files above this size go up to S3 in parts (the S3 store's default). */
const MULTIPART_THRESHOLD = 16 * 1024 * 1024;

/** Every branch on, small. */
const smallConfig = (name: string): PipelineConfig => smallPipelineConfig(name, 29, 6);

type Identities = Awaited<ReturnType<typeof stageIdentities>>;

/** A fault-free run of `config` on the same servers: its content and stage attempt times. */
async function faultFree(
  own: OwnServers,
  config: PipelineConfig,
  until?: StageName,
): Promise<{
  identities: Identities;
  seconds: Partial<Record<StageName, number>>;
  /** Key (below the run's artifact prefix) and size of every published file. */
  files: { key: string; bytes: number }[];
}> {
  return withActivityWorker(async ({ client, settings, store, watch }) => {
    const summary = await watchPipeline(await startPipeline(client, settings, config, { until }));
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('completed');
    const files = [];
    for (const s of summary.stages.filter((x) => x.status === 'done')) {
      const key = Object.values(s.outputs)[0]!.split('/').slice(-4, -1).join('/');
      for (const f of (await readManifest(store, key))!.files)
        files.push({ key: `${key}/${f.name}`, bytes: f.bytes });
    }
    return {
      identities: await stageIdentities(store, summary),
      seconds: watch.lifetimes(),
      files,
    };
  }, own.env());
}

/** Resolves once the first attempt of `stage` has worked for `ms`. */
async function inside(watch: StageAttemptWatch, stage: StageName, ms: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (!watch.first(stage)) {
    if (Date.now() > deadline) throw new Error(`${stage} did not start within 3 minutes`);
    await sleep(5);
  }
  await sleep(Math.max(0, watch.first(stage)!.start + ms - Date.now()));
}

function expectCompleted(summary: RunSummary): void {
  expect(summary.error).toBeUndefined();
  expect(summary.status).toBe('completed');
  expect(summary.tracking.error).toBeUndefined();
}

describe('hard server crashes (SIGKILL) mid-run, the server restarted on its data', () => {
  it('the Temporal dev server killed during GAN training: the run completes whole', async () => {
    const own = await OwnServers.start(['temporal']);
    try {
      const config = smallConfig('crash-temporal');
      const ref = await faultFree(own, config);
      await withActivityWorker(async ({ client, settings, store, watch }) => {
        const handle = await startPipeline(client, settings, config);
        await inside(watch, 'trainGan', 0.3 * (ref.seconds.trainGan ?? 1) * 1000);
        expect(watch.first('trainGan')!.end, 'trainGan still runs').toBeUndefined();
        await own.crash('temporal');
        await sleep(1000);
        await own.startServer('temporal');
        // A new client: the old one's calls died with the server.
        const fresh = await connectClient(settings.temporal);
        try {
          const summary = await watchPipeline(fresh.workflow.getHandle(handle.workflowId));
          expectCompleted(summary);
          expect(await stageIdentities(store, summary)).toEqual(ref.identities);
          await expectWholeArtifacts(fresh, settings, store, handle.workflowId);
          await expectCleanMlflow(settings, summary, config.name);
        } finally {
          await fresh.connection.close();
        }
      }, own.env());
    } finally {
      await own.stop();
    }
  }, 300_000);

  it.skipIf(!ALL)(
    'MinIO killed during a multipart upload: the run completes whole',
    async () => {
      const own = await OwnServers.start(['s3']);
      try {
        // Ingest's interactions.parquet (21.9 MB) goes up in parts (above 16 MiB); the
        // stages after preprocess would take minutes at this size.
        const config = parsePipelineConfig({
          name: `crash-minio-${Date.now().toString(36)}`,
          seed: 31,
          data: { source: 'synthetic:users=60000,items=10000,interactions=3500000,seed=31' },
          orchestration: { heartbeatTimeoutSeconds: 10 },
        });
        const ref = await faultFree(own, config, 'preprocess');
        const s3 = new S3Client({
          endpoint: own.env().AWS_ENDPOINT_URL_S3,
          region: 'us-east-1',
          forcePathStyle: true,
          maxAttempts: 1,
        });
        await withActivityWorker(async ({ client, settings, store }) => {
          const handle = await startPipeline(client, settings, config, { until: 'preprocess' });
          const bucket = settings.artifactUri.slice('s3://'.length).split('/')[0]!;
          const prefix = settings.artifactUri.slice(`s3://${bucket}/`.length);
          // MinIO lists the multipart uploads of one object name: the files that go up in
          // parts, under the keys the fault-free run published them at.
          const big = ref.files.filter((f) => f.bytes > MULTIPART_THRESHOLD);
          expect(big.length, 'files above the multipart threshold').toBeGreaterThan(0);
          let upload: string | undefined;
          const deadline = Date.now() + 180_000;
          while (!upload && Date.now() < deadline) {
            for (const f of big) {
              const listed = await s3
                .send(
                  new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/${f.key}` }),
                )
                .catch(() => undefined);
              upload = listed?.Uploads?.[0]?.Key ?? upload;
            }
            if (!upload) await sleep(10);
          }
          expect(upload, 'a multipart upload was seen').toBeDefined();
          await own.crash('s3');
          console.warn(`[server crash] MinIO killed during the multipart upload of ${upload}`);
          await sleep(3000);
          await own.startServer('s3');
          const summary = await watchPipeline(handle);
          expectCompleted(summary);
          // The stage whose upload was cut was retried.
          const stage = /\/stages\/([^/]+)\//.exec(upload!)![1]!;
          expect((await completedAttempts(client, handle.workflowId)).get(stage)).toBeGreaterThan(
            1,
          );
          expect(await stageIdentities(store, summary)).toEqual(ref.identities);
          await expectWholeArtifacts(client, settings, store, handle.workflowId);
        }, own.env());
      } finally {
        await own.stop();
      }
    },
    600_000,
  );

  it.skipIf(!ALL)(
    'MLflow killed during the registry update: the run completes, registered once',
    async () => {
      const own = await OwnServers.start(['mlflow']);
      try {
        const config = smallConfig('crash-mlflow');
        const ref = await faultFree(own, config);
        await withActivityWorker(async ({ client, settings, store, watch }) => {
          const handle = await startPipeline(client, settings, config);
          // Frozen once register has started, MLflow holds register's call to the registry
          // (or its next one) in flight; then it dies.
          await inside(watch, 'register', 0.1 * (ref.seconds.register ?? 1) * 1000);
          own.freeze('mlflow');
          await sleep(1000);
          expect(watch.first('register')!.end, 'register still runs').toBeUndefined();
          await own.crash('mlflow');
          await own.startServer('mlflow');
          const summary = await watchPipeline(handle);
          expectCompleted(summary);
          expect(summary.stages.find((s) => s.name === 'register')!.status).toBe('done');
          expect(
            (await completedAttempts(client, handle.workflowId)).get('register'),
          ).toBeGreaterThan(1);
          expect(await stageIdentities(store, summary)).toEqual(ref.identities);
          await expectWholeArtifacts(client, settings, store, handle.workflowId);
          await expectCleanMlflow(settings, summary, config.name);
        }, own.env());
      } finally {
        await own.stop();
      }
    },
    600_000,
  );
});
