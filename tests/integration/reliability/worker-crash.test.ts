import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { readInteractionsParquet } from '../../../lib/data/index.ts';
import { csrFromCoo } from '../../../lib/eval/index.ts';
import { saveGenerator, trainCfgan } from '../../../lib/gan/index.ts';
import {
  liveActivities,
  startPipeline,
  watchPipeline,
} from '../../../lib/runtime/pipeline-client.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { childProcessEnv, testSettings, withWorkers } from '../../helpers/temporal.ts';

const CHECKPOINT_EVERY = 5;
const EPOCHS = 60;
/**
 * Kill points: each seed picks the epoch after which the worker dies. `npm test` runs one;
 * `npm run test:reliability` sets CRASH_SEEDS to ten.
 */
const SEEDS = (process.env.CRASH_SEEDS ?? '1').split(',').map(Number);

/** The epoch (after the first checkpoint, before the last) at which seed `s` kills. */
function killEpoch(s: number): number {
  const span = EPOCHS - 2 * CHECKPOINT_EVERY;
  return CHECKPOINT_EVERY + 1 + ((Math.imul(s + 1, 0x9e3779b1) >>> 0) % span);
}

const config = parsePipelineConfig({
  name: `crash-${Date.now().toString(36)}`,
  seed: 17,
  data: { source: 'synthetic:users=600,items=400,interactions=30000,seed=17' },
  preprocess: { kCore: 3 },
  gan: {
    enabled: true,
    epochs: EPOCHS,
    checkpointEvery: CHECKPOINT_EVERY,
    generatorUnits: 256,
    discriminatorUnits: 64,
  },
  // A dead worker is noticed after 10 s without heartbeats instead of a minute.
  orchestration: { heartbeatTimeoutSeconds: 10 },
});

/** A gpu-queue worker in its own process, so it can be killed like a crashed machine. */
function gpuWorker(env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(
    process.execPath,
    [join(PROJECT_ROOT, 'bin', 'augment.mjs'), 'worker', '--queues', 'gpu'],
    { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => process.stderr.write(`[gpu worker out] ${d.toString()}`));
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[gpu worker] ${d.toString()}`));
  return child;
}

/** An output URI back to its key in the store (`.../stages/<stage>/<hash>/<file>`). */
const keyOf = (uri: string) => uri.slice(uri.indexOf('stages/'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('a worker killed with SIGKILL mid-training', () => {
  it.each(SEEDS)(
    'kill point %i: GAN training resumes from the last checkpoint on a new worker; the result equals an uninterrupted run',
    async (seed) => {
      const target = killEpoch(seed);
      const settings = testSettings();
      const env = childProcessEnv(settings);
      await withWorkers(
        settings,
        async ({ client, store }) => {
          let worker = gpuWorker(env);
          const handle = await startPipeline(client, settings, config, { until: 'generateGan' });
          // Wait for a checkpoint, then kill -9 the worker a little after it.
          let killedAt: { epoch: number; checkpointEpoch: number } | undefined;
          const deadline = Date.now() + 120_000;
          while (!killedAt && Date.now() < deadline) {
            const live = (await liveActivities(handle)).find((a) => a.activity === 'trainGan');
            const d = live?.details;
            if (
              typeof d?.checkpointEpoch === 'number' &&
              typeof d.epoch === 'number' &&
              d.epoch >= target
            ) {
              worker.kill('SIGKILL');
              killedAt = { epoch: d.epoch, checkpointEpoch: d.checkpointEpoch };
            } else await new Promise((r) => setTimeout(r, 100));
          }
          expect(killedAt, 'trainGan never reported a checkpoint').toBeDefined();
          await new Promise((r) => worker.once('exit', r));
          worker = gpuWorker(env);
          try {
            const summary = await watchPipeline(handle);
            expect(summary.error).toBeUndefined();
            expect(summary.status).toBe('completed');
            const train = summary.stages.find((s) => s.name === 'trainGan')!;
            const resumedFrom = train.stats.resumedFromEpoch as number;
            // Resumed from the checkpoint seen before the kill (or a later one).
            expect(resumedFrom).toBeGreaterThanOrEqual(killedAt!.checkpointEpoch);
            expect(resumedFrom % CHECKPOINT_EVERY).toBe(0);
            // Work lost: epochs finished before the kill and done again, at most one interval.
            expect(killedAt!.epoch - resumedFrom).toBeLessThanOrEqual(CHECKPOINT_EVERY);
            expect(train.stats.epochs).toBe(EPOCHS);
            // Checkpoints are gone once the generator is published.
            expect(await store.list('checkpoints/')).toEqual([]);

            // The generator equals the one an uninterrupted training makes from the same split.
            const pre = summary.stages.find((s) => s.name === 'preprocess')!;
            const t = await readInteractionsParquet(
              await store.getBytes(keyOf(pre.outputs['train.parquet']!)),
            );
            const nUsers = pre.stats.users as number;
            const nItems = pre.stats.items as number;
            const {
              enabled: _e,
              users: _u,
              sparseThreshold: _s,
              topK: _k,
              checkpointEvery: _c,
              ...gan
            } = config.gan;
            const straight = await trainCfgan(
              { nUsers, nItems, train: csrFromCoo(t.user, t.item, t.n, nUsers) },
              { ...gan, seed: config.seed },
            );
            const published = await store.getBytes(keyOf(train.outputs['generator.bin']!));
            expect(sha(published)).toBe(sha(saveGenerator(straight.generator)));
            console.warn(
              `seed ${seed}: worker killed at GAN epoch ${killedAt!.epoch} (checkpoint ${killedAt!.checkpointEpoch}); ` +
                `resumed from epoch ${resumedFrom}; epochs redone: ${killedAt!.epoch - resumedFrom}`,
            );
          } finally {
            worker.kill('SIGTERM');
          }
        },
        { queues: ['cpu'] },
      );
    },
    240_000,
  );
});
