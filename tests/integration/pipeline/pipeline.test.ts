import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { progressQuery } from '../../../lib/contracts/index.ts';
import { readInteractionsParquet } from '../../../lib/data/index.ts';
import { readManifest } from '../../../lib/store/index.ts';
import { MlflowClient } from '../../../lib/tracking/index.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';
import { tempDir } from '../../helpers/tmp.ts';

const config = parsePipelineConfig({
  name: 'it-pipeline',
  data: { source: 'synthetic:users=400,items=200,interactions=12000,seed=3' },
  preprocess: { kCore: 3 },
});

describe('pipeline workflow on the real Temporal dev server, MinIO artifacts', () => {
  const settings = testSettings();

  it('runs ingest and preprocess, then reuses both from the cache', async () => {
    const until = { until: 'preprocess' } as const;
    await withWorkers(settings, async ({ client, store }) => {
      const first = await watchPipeline(await startPipeline(client, settings, config, until));
      expect(first.status).toBe('completed');
      expect(first.stages.map((s) => [s.name, s.status])).toEqual([
        ['ingest', 'done'],
        ['preprocess', 'done'],
      ]);
      const pre = first.stages[1]!;
      expect(pre.stats).toMatchObject({ users: expect.any(Number), items: expect.any(Number) });
      expect(Object.keys(pre.outputs).sort()).toEqual([
        'items.parquet',
        'test.parquet',
        'train.parquet',
        'users.parquet',
        'valid.parquet',
      ]);
      expect(pre.outputs['train.parquet']).toMatch(
        new RegExp(`^${settings.artifactUri}/stages/preprocess/`),
      );

      // The split really is in MinIO and readable.
      const key = pre.outputs['train.parquet']!.slice(settings.artifactUri.length + 1);
      const local = join(tempDir(), 'train.parquet');
      await store.getFile(key, local);
      const train = await readInteractionsParquet(local);
      expect(train.n).toBe(pre.stats.trainRows);
      const manifest = await readManifest(store, key.replace(/\/train\.parquet$/, ''));
      expect(manifest?.inputs[0]?.name).toBe('ingest');

      // MLflow: a parent run with the config as params and a nested run per stage.
      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      const ref = first.tracking.mlflow!;
      expect(first.tracking.error).toBeUndefined();
      const parent = await mlflow.getRun(ref.runId);
      expect(parent.info.status).toBe('FINISHED');
      const params = Object.fromEntries((parent.data.params ?? []).map((p) => [p.key, p.value]));
      expect(params).toMatchObject({ 'preprocess.kCore': '3', seed: '42' });
      const metrics = Object.fromEntries((parent.data.metrics ?? []).map((m) => [m.key, m.value]));
      expect(metrics['preprocess.trainRows']).toBe(pre.stats.trainRows);
      const children = await mlflow.searchRuns(
        [ref.experimentId],
        `tags.mlflow.parentRunId = '${ref.runId}'`,
      );
      expect(children.map((r) => r.info.run_name).sort()).toEqual(['ingest', 'preprocess']);

      const second = await watchPipeline(await startPipeline(client, settings, config, until));
      expect(second.stages.map((s) => s.status)).toEqual(['cached', 'cached']);
      expect(second.stages[1]!.outputs).toEqual(pre.outputs);
    });
  });

  it('answers the progress query and stops after --until', async () => {
    await withWorkers(settings, async ({ client }) => {
      const handle = await startPipeline(
        client,
        settings,
        { ...config, seed: 5 },
        { until: 'ingest' },
      );
      const summary = await watchPipeline(handle);
      expect(summary.stages.map((s) => s.name)).toEqual(['ingest']);
      const progress = await handle.query(progressQuery);
      expect(progress.state).toBe('completed');
      expect(progress.stages.find((s) => s.name === 'preprocess')?.status).toBe('skipped');
    });
  });

  it('fails bad input at once, naming file, line and column, without retrying', async () => {
    const dir = tempDir();
    const csv = join(dir, 'ratings.csv');
    writeFileSync(csv, 'user,item,rating,ts\n1,10,4,1600000000\n2,11,abc,1600000001\n');
    const bad = parsePipelineConfig({
      data: { source: `csv:${csv}?user=user&item=item&rating=rating&timestamp=ts` },
    });
    await withWorkers(settings, async ({ client }) => {
      const handle = await startPipeline(client, settings, bad);
      const summary = await watchPipeline(handle);
      expect(summary.status).toBe('failed');
      expect(summary.error).toContain(`${csv} line 3, column "rating": "abc" is not a number`);
      expect(summary.stages[0]).toMatchObject({ name: 'ingest', status: 'failed' });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      // Non-retryable: the ingest activity ran exactly once.
      const events = (await handle.fetchHistory()).events!;
      const types = new Map(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes)
          .map((e) => [
            String(e.eventId),
            e.activityTaskScheduledEventAttributes!.activityType!.name,
          ]),
      );
      const attempts = events
        .filter((e) => e.activityTaskStartedEventAttributes)
        .filter(
          (e) =>
            types.get(String(e.activityTaskStartedEventAttributes!.scheduledEventId)) === 'ingest',
        )
        .map((e) => e.activityTaskStartedEventAttributes!.attempt);
      expect(attempts).toEqual([1]);
    });
  });
});
