import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { runStage } from '../../../activities/stage-runner.ts';
import type { StageDefinition } from '../../../activities/stage-runner.ts';
import { ConfigError } from '../../../lib/config/errors.ts';
import { LocalArtifactStore, readManifest } from '../../../lib/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir();
const store = new LocalArtifactStore(join(dir, 'store'));

/** A two-stage chain with counters, to see what actually ran. */
function chain() {
  const runs = { ingest: 0, preprocess: 0 };
  const ingest: StageDefinition<{ n: number }> = {
    name: 'ingest',
    source: import.meta.url,
    needs: [],
    async run(ctx) {
      runs.ingest++;
      const p = join(ctx.workDir, 'numbers.txt');
      writeFileSync(p, Array.from({ length: ctx.config.n }, (_, i) => i).join('\n'));
      return {
        kind: 'numbers',
        files: [{ name: 'numbers.txt', path: p, rows: ctx.config.n }],
        stats: { n: ctx.config.n },
      };
    },
  };
  const preprocess: StageDefinition<{ factor: number }> = {
    name: 'preprocess',
    source: import.meta.url,
    needs: ['ingest'],
    async run(ctx) {
      runs.preprocess++;
      const src = await ctx.inputFile('ingest', 'numbers.txt');
      const out = readFileSync(src, 'utf8')
        .split('\n')
        .map((x) => Number(x) * ctx.config.factor);
      const p = join(ctx.workDir, 'scaled.txt');
      writeFileSync(p, out.join('\n'));
      return {
        kind: 'numbers',
        files: [{ name: 'scaled.txt', path: p, rows: out.length }],
        stats: { upstreamRows: ctx.inputManifest('ingest').rows },
      };
    },
  };
  return { runs, ingest, preprocess };
}

describe('cached stage runner', () => {
  it('runs, publishes, and returns cached on the second call', async () => {
    const { runs, ingest, preprocess } = chain();
    const a = await runStage(ingest, { runId: 'r1', config: { n: 5 }, inputs: {} }, store);
    expect(a.status).toBe('done');
    expect(a.rows).toBe(5);
    expect(a.outputs['numbers.txt']).toMatch(
      /^file:\/\/.*\/stages\/ingest\/[0-9a-f]{24}\/numbers\.txt$/,
    );
    const b = await runStage(
      preprocess,
      { runId: 'r1', config: { factor: 3 }, inputs: { ingest: a } },
      store,
    );
    expect(b.stats).toEqual({ upstreamRows: 5 });
    expect(Buffer.from(await store.getBytes(`${b.key}/scaled.txt`)).toString()).toBe(
      '0\n3\n6\n9\n12',
    );

    const a2 = await runStage(ingest, { runId: 'r2', config: { n: 5 }, inputs: {} }, store);
    const b2 = await runStage(
      preprocess,
      { runId: 'r2', config: { factor: 3 }, inputs: { ingest: a2 } },
      store,
    );
    expect([a2.status, b2.status]).toEqual(['cached', 'cached']);
    expect(a2.key).toBe(a.key);
    expect(runs).toEqual({ ingest: 1, preprocess: 1 });
  });

  it('changes downstream keys when an upstream output or config changes', async () => {
    const { ingest, preprocess } = chain();
    const a = await runStage(ingest, { runId: 'r', config: { n: 4 }, inputs: {} }, store);
    const b = await runStage(
      preprocess,
      { runId: 'r', config: { factor: 3 }, inputs: { ingest: a } },
      store,
    );
    const c = await runStage(
      preprocess,
      { runId: 'r', config: { factor: 2 }, inputs: { ingest: a } },
      store,
    );
    expect(c.key).not.toBe(b.key);
    const a5 = await runStage(ingest, { runId: 'r', config: { n: 6 }, inputs: {} }, store);
    const d = await runStage(
      preprocess,
      { runId: 'r', config: { factor: 3 }, inputs: { ingest: a5 } },
      store,
    );
    expect(d.key).not.toBe(b.key);
  });

  it('leaves no manifest when the body fails, and bad input is non-retryable', async () => {
    const failing: StageDefinition<{ n: number }> = {
      name: 'ingest',
      source: import.meta.url,
      salt: 'fail',
      needs: [],
      async run() {
        throw new ConfigError('cfg.yaml', [
          { field: 'data.source', value: 'x', expected: 'a source' },
        ]);
      },
    };
    const err = await runStage(failing, { runId: 'r', config: { n: 1 }, inputs: {} }, store).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).type).toBe('ConfigError');
    expect((err as ApplicationFailure).message).toContain('data.source');

    const crash: StageDefinition<{ n: number }> = {
      ...failing,
      async run() {
        throw new Error('disk on fire');
      },
    };
    const transient = await runStage(
      crash,
      { runId: 'r', config: { n: 2 }, inputs: {} },
      store,
    ).catch((e: unknown) => e);
    expect(transient).not.toBeInstanceOf(ApplicationFailure);
    expect(
      (await store.list('stages/ingest/')).filter((k) => k.endsWith('manifest.json')),
    ).toHaveLength(3);
  });

  it('refuses to run on an input whose manifest is gone', async () => {
    const { ingest, preprocess } = chain();
    const a = await runStage(ingest, { runId: 'r', config: { n: 7 }, inputs: {} }, store);
    await store.deletePrefix(`${a.key}/`);
    expect(await readManifest(store, a.key)).toBeUndefined();
    const err = await runStage(
      preprocess,
      { runId: 'r', config: { factor: 1 }, inputs: { ingest: a } },
      store,
    ).catch((e: unknown) => e);
    expect((err as ApplicationFailure).type).toBe('InputNotFound');
  });
});
