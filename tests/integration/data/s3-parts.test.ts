import { gzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import { ingestStage } from '../../../activities/ingest.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { S3ArtifactStore, createStore } from '../../../lib/store/index.ts';
import { testSettings } from '../../helpers/temporal.ts';

/**
 * A nightly log as a job writes it: part files and a `_SUCCESS` marker under a dated
 * prefix in the real S3 server, read with a glob (and as a whole prefix).
 */
describe('a source in parts under an s3:// prefix', () => {
  it('ingests every matching part into one table, skipping markers', async () => {
    const stack = inject('stack');
    const settings = testSettings();
    const prefix = `logs-${Date.now()}/2026-11-28`;
    const src = new S3ArtifactStore({
      bucket: stack.bucket,
      prefix,
      ...settings.s3,
      credentials: stack.s3Credentials,
    });
    await src.putBytes('part-000.csv', 'u,i,r,t\nalice,10,5,100\nbob,11,4,101\n');
    await src.putBytes('part-001.csv.gz', gzipSync('u,i,r,t\ncarol,10,3,102\n'));
    await src.putBytes('_SUCCESS', '');
    const store = createStore(settings.artifactUri, settings.s3);
    const run = async (location: string) => {
      const config = parsePipelineConfig({
        data: { source: `csv:s3://${stack.bucket}/${location}?user=u&item=i&rating=r&timestamp=t` },
      });
      return runStage(
        ingestStage(settings.s3),
        { runId: 'r', config: { data: config.data, seed: 1 }, inputs: {} },
        store,
      );
    };
    const glob = await run(`${prefix}/part-*`);
    expect(glob.stats).toMatchObject({
      format: 'delimited (2 parts)',
      rows: 3,
      users: 3,
      items: 2,
    });
    // The whole prefix: the same parts (the marker is not one).
    const whole = await run(`${prefix}/`);
    expect(whole.stats).toMatchObject({ format: 'delimited (2 parts)', rows: 3 });
    // The same glob again is a cache hit; a new part changes the fingerprint.
    expect((await run(`${prefix}/part-*`)).status).toBe('cached');
    await src.putBytes('part-002.csv', 'u,i,r,t\ndave,12,4,103\n');
    const more = await run(`${prefix}/part-*`);
    expect(more.status).toBe('done');
    expect(more.stats).toMatchObject({ rows: 4, users: 4 });
  });

  it('reads data.items from S3; a new metadata file means a new ingest', async () => {
    const stack = inject('stack');
    const settings = testSettings();
    const prefix = `items-${Date.now()}`;
    const src = new S3ArtifactStore({
      bucket: stack.bucket,
      prefix,
      ...settings.s3,
      credentials: stack.s3Credentials,
    });
    await src.putBytes('log.csv', 'u,i\nalice,10\nbob,11\nbob,12\n');
    await src.putBytes('items.csv', 'item,title,genres\n10,Harbor,Drama\n11,Engine,Action\n');
    const store = createStore(settings.artifactUri, settings.s3);
    const config = parsePipelineConfig({
      data: {
        source: `csv:s3://${stack.bucket}/${prefix}/log.csv?user=u&item=i`,
        items: `s3://${stack.bucket}/${prefix}/items.csv`,
      },
    });
    const run = () =>
      runStage(
        ingestStage(settings.s3),
        { runId: 'r', config: { data: config.data, seed: 1 }, inputs: {} },
        store,
      );
    const first = await run();
    expect(first.stats).toMatchObject({ rows: 3, items: 3, itemsWithMetadata: 2 });
    expect((await run()).status).toBe('cached');
    await src.putBytes('items.csv', 'item,title\n10,Harbor\n11,Engine\n12,Third\n');
    const again = await run();
    expect(again.status).toBe('done');
    expect(again.stats).toMatchObject({ itemsWithMetadata: 3 });
  });
});
