/**
 * Workers on many hosts, on one machine: every worker (two cpu, one gpu, one for the
 * workflows) is its own process with its own work folder, HOME, TMPDIR and working
 * directory, and the worker-local ingest -> preprocess hand-off is off
 * (AUGMENT_WORKER_HANDOFF=0). Nothing local is shared, so the run can only complete through
 * what real hosts share: Temporal, S3 and MLflow. Each stage says which worker ran it
 * (`worker` in the run summary and the stage's MLflow run).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGpuActivities } from '../../../activities/index.ts';
import { READY_LINE } from '../../../cli/worker-processes.ts';
import type { ConnectionSettings } from '../../../lib/config/env.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import type { QueueKind } from '../../../lib/contracts/index.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { connectClient } from '../../../lib/temporal/connection.ts';
import { createStore } from '../../../lib/store/index.ts';
import { MlflowClient } from '../../../lib/tracking/index.ts';
import type { WorkerRole } from '../../../workers/start-worker.ts';
import { childProcessEnv, testSettings } from '../../helpers/temporal.ts';
import { tempDir } from '../../helpers/tmp.ts';

const config = parsePipelineConfig({
  name: `multi-host-${Date.now().toString(36)}`,
  data: { source: 'synthetic:users=200,items=100,interactions=5000,seed=23' },
  preprocess: { kCore: 3 },
  gan: { epochs: 2, generatorUnits: 32, discriminatorUnits: 16, validateEvery: 1, gate: false },
  llm: { users: 'all', sequence: { epochs: 1 } },
  model: { family: 'bpr', factors: 8, epochs: 3, evalEvery: 1 },
  evaluate: { resamples: 1000 },
});

/** A worker process and the identity it reports. */
interface HostWorker {
  child: ChildProcess;
  identity: string;
  workDir: string;
}

/** `augment worker` as if on its own host: a private folder for everything local. */
function startHost(
  settings: ConnectionSettings,
  queue: QueueKind,
  role: WorkerRole,
  n: number,
): Promise<HostWorker> {
  const root = tempDir(`augment-host-${queue}-${role}${n}-`);
  const dirs = { home: join(root, 'home'), tmp: join(root, 'tmp'), work: join(root, 'work') };
  for (const d of [dirs.home, dirs.tmp]) mkdirSync(d);
  const child = spawn(
    process.execPath,
    [join(PROJECT_ROOT, 'bin', 'augment.mjs'), 'worker', '--queues', queue, '--role', role],
    {
      cwd: root,
      env: {
        ...childProcessEnv(settings),
        HOME: dirs.home,
        TMPDIR: dirs.tmp,
        AUGMENT_WORK_DIR: dirs.work,
        AUGMENT_WORKER_HANDOFF: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      // `worker serving gpu (activities) as <identity> on ...`
      const identity = new RegExp(`${READY_LINE} .* as (\\S+) on `).exec(err)?.[1];
      if (identity) resolve({ child, identity, workDir: dirs.work });
    });
    child.once('exit', (code) =>
      reject(new Error(`${queue} ${role} worker exited ${code}: ${err}`)),
    );
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('workers on many hosts', () => {
  it('completes a run on separate cpu and gpu worker processes sharing nothing local', async () => {
    const settings = testSettings();
    // Stages the gpu queue serves; the rest are the cpu queue's.
    const store = createStore(settings.artifactUri, settings.s3);
    const gpuStages = new Set<string>(Object.keys(createGpuActivities({ store })));
    const started = await Promise.allSettled([
      startHost(settings, 'cpu', 'activities', 1),
      startHost(settings, 'cpu', 'activities', 2),
      startHost(settings, 'gpu', 'activities', 1),
      startHost(settings, 'cpu', 'workflows', 1),
    ]);
    const hosts = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      const [cpu1, cpu2, gpu, flows] = hosts as [HostWorker, HostWorker, HostWorker, HostWorker];
      expect(new Set(hosts.map((h) => h.identity)).size).toBe(4);
      for (const h of [cpu1, cpu2, gpu])
        expect(h.identity).toMatch(/^[^:]+:\d+:activities:(cpu|gpu)$/);
      expect(flows.identity).toMatch(/^[^:]+:\d+:workflows:cpu$/);
      const ranOn = new Set<string>();

      // This process is only a client: every worker runs in a host process.
      const client = await connectClient(settings.temporal);
      try {
        const summary = await watchPipeline(await startPipeline(client, settings, config));
        expect(summary.status, summary.error).toBe('completed');
        const ran = summary.stages.filter((s) => s.status === 'done');
        expect(ran.map((s) => s.name)).toEqual(
          expect.arrayContaining(['ingest', 'preprocess', 'trainGan', 'retrainB', 'report']),
        );
        for (const s of ran) {
          const expected = gpuStages.has(s.name) ? [gpu.identity] : [cpu1.identity, cpu2.identity];
          expect(expected, `${s.name} ran on ${s.worker}`).toContain(s.worker);
          ranOn.add(s.worker!);
        }
        expect(ranOn.size).toBeGreaterThan(1);
        console.warn(
          `[multi-host] ${ran.map((s) => `${s.name}@${s.worker!.split(':')[1]}`).join(' ')}`,
        );

        // Each stage's MLflow run carries the same identity.
        const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
        const parent = summary.tracking.mlflow!;
        expect(summary.tracking.error).toBeUndefined();
        const runs = await mlflow.searchRuns(
          [parent.experimentId],
          `tags.mlflow.parentRunId = '${parent.runId}'`,
        );
        const tagged = Object.fromEntries(
          runs.map((r) => [
            r.info.run_name,
            r.data.tags?.find((t) => t.key === 'worker')?.value ?? 'none',
          ]),
        );
        expect(tagged).toEqual(Object.fromEntries(ran.map((s) => [s.name, s.worker])));
      } finally {
        await client.connection.close();
      }
      // A host that ran a stage did so in its own work root (created on first use), and
      // every attempt removed its folder there.
      for (const h of hosts) {
        if (!ranOn.has(h.identity)) continue;
        expect(existsSync(h.workDir), `${h.identity} never used ${h.workDir}`).toBe(true);
        expect(readdirSync(h.workDir)).toEqual([]);
      }
    } finally {
      await Promise.all(hosts.map((h) => stop(h.child)));
    }
  }, 150_000);
});
