/**
 * `training.worker: python` on the real local stack: trainGan, retrainA and retrainB run on
 * the Python worker (started here as `augment run --worker` starts it), everything else on
 * the TypeScript workers, and the unchanged TypeScript evaluate scores the Python models.
 * Then a kill -9 of the Python worker during trainGan: a fresh worker resumes the stage from
 * the checkpoint its last heartbeat named. The Python worker reads file:// stores, so the
 * artifacts live in a local folder here (Temporal and MLflow are the stack's).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pythonWorkerCommand } from '../../../cli/python-worker.ts';
import type { ConnectionSettings } from '../../../lib/config/env.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { childProcessEnv, testSettings, withWorkers } from '../../helpers/temporal.ts';
import { tempDir } from '../../helpers/tmp.ts';

function startPython(settings: ConnectionSettings): Promise<ChildProcess> {
  const { command, args, cwd } = pythonWorkerCommand(settings, 'cpu');
  // Heartbeats sent at once, not up to 8 s late: the kill comes as soon as one names a
  // checkpoint.
  const child = spawn(command, [...args, '--heartbeat-throttle-seconds', '0.2'], {
    cwd,
    env: childProcessEnv(settings),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('worker serving')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`python worker exited ${code}: ${err}`)));
  });
}

function stopped(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

const base = {
  data: { source: 'synthetic:users=300,items=120,interactions=9000,seed=5' },
  preprocess: { kCore: 3 },
  llm: { enabled: false },
  training: { worker: 'python', device: 'cpu' },
  model: { family: 'bpr', factors: 16, epochs: 6, evalEvery: 2, checkpointEvery: 2 },
};

describe('the Python training worker on the real stack', () => {
  it('trains the GAN and models A and B; TypeScript evaluates them', async () => {
    const settings = testSettings({ ARTIFACT_URI: pathToFileURL(tempDir('py-it-')).href });
    const config = parsePipelineConfig({
      ...base,
      name: 'it-python-worker',
      gan: { epochs: 2, generatorUnits: 32, discriminatorUnits: 16, validateEvery: 1 },
    });
    const python = await startPython(settings);
    try {
      const summary = await withWorkers(settings, async ({ client }) =>
        watchPipeline(await startPipeline(client, settings, config, { until: 'evaluate' })),
      );
      expect(summary.error).toBeUndefined();
      expect(summary.status).toBe('completed');
      const byName = Object.fromEntries(summary.stages.map((s) => [s.name, s]));
      for (const name of ['trainGan', 'retrainA', 'retrainB']) {
        expect(byName[name]?.status, name).toBe('done');
        expect(byName[name]?.stats, name).toMatchObject({ workerKind: 'python', device: 'cpu' });
        expect(byName[name]?.stats.framework, name).toMatch(/^jax /);
      }
      expect(byName.generateGan?.status).toBe('done');
      expect(byName.evaluate?.status).toBe('done');
      expect(byName.evaluate?.stats).toBeDefined();
    } finally {
      await stopped(python, 'SIGTERM');
    }
  });

  it('resumes trainGan from its checkpoint after a kill -9 of the worker', async () => {
    const root = tempDir('py-it-kill-');
    const settings = testSettings({ ARTIFACT_URI: pathToFileURL(root).href });
    const config = parsePipelineConfig({
      ...base,
      name: 'it-python-kill',
      gan: {
        epochs: 60,
        generatorUnits: 16,
        discriminatorUnits: 8,
        dSteps: 1,
        gSteps: 1,
        validateEvery: 0,
        checkpointEvery: 1,
      },
      orchestration: { heartbeatTimeoutSeconds: 10 },
    });
    let python = await startPython(settings);
    try {
      const summary = await withWorkers(settings, async ({ client }) => {
        const handle = await startPipeline(client, settings, config, { until: 'trainGan' });
        // Killed once the server's copy of trainGan's last heartbeat names a checkpoint.
        const namedCheckpoint = async () => {
          const { raw } = await handle.describe();
          for (const a of raw.pendingActivities ?? []) {
            const payload = a.heartbeatDetails?.payloads?.[0]?.data;
            if (a.activityType?.name !== 'trainGan' || !payload) continue;
            const details = JSON.parse(Buffer.from(payload).toString('utf8')) as {
              checkpointEpoch?: number;
            };
            if ((details.checkpointEpoch ?? 0) > 0) return details.checkpointEpoch!;
          }
          return 0;
        };
        const deadline = Date.now() + 120_000;
        let epoch = 0;
        while (!(epoch = await namedCheckpoint()) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 250));
        expect(epoch).toBeGreaterThan(0);
        await stopped(python, 'SIGKILL');
        python = await startPython(settings);
        return watchPipeline(handle);
      });
      expect(summary.status).toBe('completed');
      const gan = summary.stages.find((s) => s.name === 'trainGan')!;
      expect(gan.stats.workerKind).toBe('python');
      expect(gan.stats.resumedFromEpoch).toBeGreaterThan(0);
      expect(gan.stats.epochs).toBe(60);
    } finally {
      await stopped(python, 'SIGTERM');
    }
  });
});
