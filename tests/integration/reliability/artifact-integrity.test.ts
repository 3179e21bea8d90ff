import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import type { ConnectionSettings } from '../../../lib/config/env.ts';
import {
  resumePipeline,
  startPipeline,
  watchPipeline,
} from '../../../lib/runtime/pipeline-client.ts';
import type { RunSummary } from '../../../lib/runtime/pipeline-client.ts';
import { invalidateStage, verifyRun } from '../../../lib/runtime/run-artifacts.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { readManifest, readOutputBytes, sha256 } from '../../../lib/store/index.ts';
import type { ArtifactStore } from '../../../lib/store/index.ts';
import { childProcessEnv, testSettings, withWorkers } from '../../helpers/temporal.ts';

const execFileAsync = promisify(execFile);

/** Only resample reads preprocess's train split after it: no GAN, LLM or teacher branch. */
const config = parsePipelineConfig({
  name: 'integrity-test',
  seed: 5,
  data: { source: 'synthetic:users=300,items=150,interactions=6000,seed=25' },
  preprocess: { kCore: 2 },
  gan: { enabled: false },
  llm: { enabled: false },
  teacher: { enabled: false },
});

/** `augment <args>` against the test stack: exit code, stdout and stderr. */
async function cli(settings: ConnectionSettings, args: string[]) {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [join(PROJECT_ROOT, 'bin', 'augment.mjs'), ...args],
      { cwd: PROJECT_ROOT, env: childProcessEnv(settings), timeout: 180_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every file of a stage's output in a run, by name, read and verified. */
async function outputBytes(store: ArtifactStore, summary: RunSummary, stage: string) {
  const s = summary.stages.find((x) => x.name === stage)!;
  const key = Object.values(s.outputs)[0]!.split('/').slice(-4, -1).join('/');
  const m = (await readManifest(store, key))!;
  const out: Record<string, string> = {};
  for (const f of m.files) out[f.name] = sha256(await readOutputBytes(store, m, f.name));
  return { key, files: out };
}

/** The stages a run reached and how (disabled branches left out). */
const ran = (summary: RunSummary) =>
  summary.stages.filter((s) => s.status !== 'skipped').map((s) => [s.name, s.status]);

const keyOf = (settings: ConnectionSettings, uri: string) =>
  uri.slice(settings.artifactUri.length + 1);

describe('corrupted artifacts: detected on read, reported by verify, repaired by --recompute', () => {
  it('flipped bytes in preprocess/train.parquet fail resample, and the repair restores them', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client, store }) => {
      const first = await watchPipeline(
        await startPipeline(client, settings, config, { until: 'preprocess' }),
      );
      expect(first.status).toBe('completed');
      const before = await outputBytes(store, first, 'preprocess');
      const trainUri = first.stages.find((s) => s.name === 'preprocess')!.outputs['train.parquet']!;

      // Two bytes flipped in the middle of the published file, in MinIO.
      const original = Buffer.from(await store.getBytes(keyOf(settings, trainUri)));
      const corrupted = Buffer.from(original);
      const mid = corrupted.length >> 1;
      corrupted[mid] = corrupted[mid]! ^ 0xff;
      corrupted[mid + 1] = corrupted[mid + 1]! ^ 0x55;
      await store.putBytes(keyOf(settings, trainUri), corrupted);

      const second = await watchPipeline(
        await startPipeline(client, settings, config, { until: 'resample' }),
      );
      expect(second.status).toBe('failed');
      expect(ran(second)).toEqual([
        ['ingest', 'cached'],
        ['preprocess', 'cached'],
        ['resample', 'failed'],
      ]);
      expect(second.error).toContain(`${trainUri} is corrupted (produced by stage preprocess)`);
      expect(second.error).toContain(`expected sha256 ${before.files['train.parquet']}`);
      expect(second.error).toContain(`read ${sha256(corrupted)}`);

      const report = await verifyRun(client, second.workflowId, settings.s3);
      expect(report.stages.map((s) => [s.stage, s.status])).toEqual([
        ['ingest', 'ok'],
        ['preprocess', 'corrupted'],
      ]);
      expect(report.stages[1]!.problems).toEqual([expect.stringContaining(trainUri)]);
      expect(report.corruptions).toEqual([
        { reader: 'resample', uri: trainUri, producer: 'preprocess' },
      ]);
      const verify = await cli(settings, ['verify', second.workflowId]);
      expect(verify.code).toBe(1);
      expect(verify.stderr).toMatch(/^ingest +ok /m);
      expect(verify.stderr).toMatch(/^preprocess +corrupted /m);
      expect(verify.stderr).toContain(`--recompute preprocess`);

      const repaired = await cli(settings, [
        'resume',
        second.workflowId,
        '--recompute',
        'preprocess',
        '--wait',
        '--json',
      ]);
      expect(repaired.code, repaired.stderr).toBe(0);
      const summary = JSON.parse(repaired.stdout) as RunSummary;
      expect(ran(summary)).toEqual([
        ['ingest', 'cached'],
        ['preprocess', 'done'],
        ['resample', 'done'],
      ]);
      // Republished under the same key, byte for byte what it was before the corruption.
      expect(await outputBytes(store, summary, 'preprocess')).toEqual(before);
      expect(Buffer.from(await store.getBytes(keyOf(settings, trainUri))).equals(original)).toBe(
        true,
      );
      const clean = await cli(settings, ['verify', second.workflowId]);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stderr).toMatch(/^resample +ok /m);
    });
  });

  it('an edited manifest fails the run, and --recompute finds it from the failure', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client, store }) => {
      const until = { until: 'preprocess' } as const;
      const first = await watchPipeline(await startPipeline(client, settings, config, until));
      expect(first.status).toBe('completed');
      const pre = await outputBytes(store, first, 'preprocess');
      const manifestKey = `${pre.key}/manifest.json`;
      const text = Buffer.from(await store.getBytes(manifestKey)).toString('utf8');
      // Still valid JSON and schema: only the seal can tell.
      const edited = text.replace(/"rows": (\d+)/, (_, n: string) => `"rows": ${Number(n) + 1}`);
      expect(edited).not.toBe(text);
      await store.putBytes(manifestKey, edited);

      const second = await watchPipeline(await startPipeline(client, settings, config, until));
      expect(second.status).toBe('failed');
      expect(second.error).toContain(
        `${store.uriOf(manifestKey)} is corrupted (produced by stage preprocess): its content does not match its manifestSha256`,
      );
      const report = await verifyRun(client, second.workflowId, settings.s3);
      expect(report.corruptions).toEqual([
        { reader: 'preprocess', uri: store.uriOf(manifestKey), producer: 'preprocess' },
      ]);

      expect(await invalidateStage(client, second.workflowId, 'preprocess', settings.s3)).toEqual([
        pre.key,
      ]);
      const resumed = await watchPipeline(await resumePipeline(client, second.workflowId));
      expect(resumed.status).toBe('completed');
      expect(ran(resumed)).toEqual([
        ['ingest', 'cached'],
        ['preprocess', 'done'],
      ]);
      expect(await outputBytes(store, resumed, 'preprocess')).toEqual(pre);
    });
  });
});
