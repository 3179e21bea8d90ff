import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { afterEach, describe, expect, it } from 'vitest';
import { runStage } from '../../../activities/stage-runner.ts';
import type { StageDefinition } from '../../../activities/stage-runner.ts';
import { diskFullError } from '../../../activities/work-dirs.ts';
import { createCheckpointer } from '../../../activities/checkpoints.ts';
import type { StageContext } from '../../../activities/stage-runner.ts';
import { NON_RETRYABLE_ERRORS } from '../../../lib/contracts/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir();
const store = new LocalArtifactStore(join(dir, 'store'));
const workRoot = join(dir, 'work');

const ingest: StageDefinition<{ n: number }> = {
  name: 'ingest',
  source: import.meta.url,
  needs: [],
  async run(ctx) {
    const p = join(ctx.workDir, 'numbers.txt');
    writeFileSync(p, Array.from({ length: ctx.config.n }, (_, i) => i).join('\n'));
    return { kind: 'numbers', files: [{ name: 'numbers.txt', path: p }], stats: {} };
  },
};

const preprocess: StageDefinition<{ fill: boolean }> = {
  name: 'preprocess',
  source: import.meta.url,
  needs: ['ingest'],
  async run(ctx) {
    const src = await ctx.inputFile('ingest', 'numbers.txt');
    const p = join(ctx.workDir, 'copy.txt');
    writeFileSync(p, readFileSync(src));
    // The way a write to a full disk fails in Node.
    if (ctx.config.fill)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        syscall: 'write',
      });
    return { kind: 'numbers', files: [{ name: 'copy.txt', path: p }], stats: {} };
  },
};

afterEach(() => {
  delete process.env.AUGMENT_WORK_DIR;
});

describe('stage runner: corrupted inputs and full work folders', () => {
  it('fails a stage whose input file was corrupted, non-retryably, with details', async () => {
    const a = await runStage(ingest, { runId: 'r', config: { n: 50 }, inputs: {} }, store);
    const path = join(store.rootDir, ...a.key.split('/'), 'numbers.txt');
    const bytes = readFileSync(path);
    bytes[10] = bytes[10]! ^ 0x20;
    bytes[11] = bytes[11]! ^ 0x20;
    writeFileSync(path, bytes);
    const err = await runStage(
      preprocess,
      { runId: 'r', config: { fill: false }, inputs: { ingest: a } },
      store,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const f = err as ApplicationFailure;
    expect(f.type).toBe('ArtifactCorrupted');
    expect(NON_RETRYABLE_ERRORS).toContain(f.type);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain(a.outputs['numbers.txt']);
    expect(f.message).toContain('produced by stage ingest');
    expect(f.details).toEqual([
      {
        uri: a.outputs['numbers.txt'],
        expected: expect.stringMatching(/^[0-9a-f]{64}$/),
        actual: expect.stringMatching(/^[0-9a-f]{64}$/),
        producer: 'ingest',
      },
    ]);
  });

  it('turns ENOSPC into one clear, retryable error and leaves nothing behind', async () => {
    process.env.AUGMENT_WORK_DIR = workRoot;
    mkdirSync(workRoot, { recursive: true });
    const a = await runStage(ingest, { runId: 'r', config: { n: 7 }, inputs: {} }, store);
    const err = await runStage(
      preprocess,
      { runId: 'r', config: { fill: true }, inputs: { ingest: a } },
      store,
    ).catch((e: unknown) => e);
    expect((err as Error).name).toBe('WorkDirFull');
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^stage preprocess ran out of disk space in its work folder ${workRoot}/augment-\\d+-preprocess-\\w+ \\(ENOSPC: no space left on device, write\\); the folder is removed and nothing was published`,
      ),
    );
    expect(readdirSync(workRoot)).toEqual([]);
    expect(await store.list('stages/preprocess/')).toEqual([]);
    // Space back: the next attempt runs clean.
    const ok = await runStage(
      preprocess,
      { runId: 'r', config: { fill: false }, inputs: { ingest: a } },
      store,
    );
    expect(ok.status).toBe('done');
    expect(readdirSync(workRoot)).toEqual([]);
  });

  it('finds ENOSPC in a cause chain and leaves other errors alone', () => {
    const inner = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
    });
    const outer = new Error('writing train.parquet failed', { cause: inner });
    expect(diskFullError(outer, 's', '/w')?.name).toBe('WorkDirFull');
    expect(diskFullError(new Error('EACCES: permission denied'), 's', '/w')).toBeUndefined();
  });
});

describe('checkpoints', () => {
  /** The part of a stage context a checkpointer uses, with the heartbeats it sent. */
  function context(previousHeartbeat?: Record<string, unknown>) {
    const beats: Record<string, unknown>[] = [];
    const ctx = {
      key: 'stages/trainGan/abc',
      store,
      previousHeartbeat,
      signal: new AbortController().signal,
      heartbeat: (d?: Record<string, unknown>) => void beats.push(d ?? {}),
    } as unknown as StageContext<unknown>;
    return { ctx, beats };
  }

  it('resume from a checkpoint whose bytes match its heartbeat, and start over when not', async () => {
    const first = context();
    await createCheckpointer(first.ctx).save(Uint8Array.of(1, 2, 3, 4), 5);
    const named = first.beats.at(-1)!;
    expect(named).toMatchObject({ checkpointEpoch: 5, checkpointSha256: expect.any(String) });

    const resumed = await createCheckpointer(context(named).ctx).resume();
    expect(resumed?.epoch).toBe(5);
    expect([...resumed!.state]).toEqual([1, 2, 3, 4]);

    await store.putBytes(named.checkpoint as string, Uint8Array.of(1, 2, 3, 5));
    expect(await createCheckpointer(context(named).ctx).resume()).toBeUndefined();
  });
});
