import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { progressQuery, taskQueues } from '../../../lib/contracts/index.ts';
import type { ConnectionSettings } from '../../../lib/config/env.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { connectClient } from '../../../lib/temporal/connection.ts';
import {
  childProcessEnv,
  testSettings,
  withWorkers,
  workflowBundle,
} from '../../helpers/temporal.ts';
import { tempDir } from '../../helpers/tmp.ts';

/** How long the fake ingest holds its process's thread. */
const BUSY_MS = 8_000;
/**
 * Longest wait for a query (a workflow task) that counts as not starved: Temporal core warns
 * at 5 s (TMPRL1104) and fails workflow tasks at 10 s.
 */
const BOUND_MS = 2_000;

const config = parsePipelineConfig({
  name: `starve-${Date.now().toString(36)}`,
  data: { source: 'synthetic:users=50,items=40,interactions=500,seed=1' },
});

/** The busy worker (tests/helpers/busy-activity-worker.ts) in its own process. */
function busyWorker(settings: ConnectionSettings, role: string, bundlePath?: string): ChildProcess {
  const script = join(PROJECT_ROOT, 'tests/helpers/busy-activity-worker.ts');
  return spawn(
    process.execPath,
    ['--import', 'tsx', script, role, String(BUSY_MS), ...(bundlePath ? [bundlePath] : [])],
    { cwd: PROJECT_ROOT, env: childProcessEnv(settings), stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** Resolves when `child` has printed `line` (rejects if it exits first). */
function printed(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`busy worker exited with ${code}: ${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Starts a run whose ingest is the busy loop and, while the loop runs, asks the workflow for
 * its progress over and over (each query is a workflow task). Returns each query's latency.
 */
async function queryLatencies(
  client: Client,
  settings: ConnectionSettings,
  busy: ChildProcess,
): Promise<number[]> {
  await printed(busy, 'busy-worker ready');
  const started = printed(busy, 'busy-worker busy');
  const handle = await client.workflow.start('pipeline', {
    taskQueue: taskQueues(settings.temporal.taskQueuePrefix).cpu,
    workflowId: `${config.name}-${settings.temporal.taskQueuePrefix}`,
    args: [
      {
        config,
        until: 'ingest',
        queues: taskQueues(settings.temporal.taskQueuePrefix),
        tracking: { enabled: false },
      },
    ],
  });
  try {
    await started;
    const latencies: number[] = [];
    const until = Date.now() + BUSY_MS - 1_500;
    while (Date.now() < until) {
      const t0 = performance.now();
      const progress = await handle.query(progressQuery);
      latencies.push(performance.now() - t0);
      expect(progress.stages.find((s) => s.name === 'ingest')?.status).toBe('running');
      await new Promise((r) => setTimeout(r, 200));
    }
    return latencies;
  } finally {
    await handle.terminate('test over');
  }
}

describe('workflow tasks and a CPU-bound activity', () => {
  it('answer within the bound when the activity runs in another process than the workflows', async () => {
    const settings = testSettings();
    const busy = busyWorker(settings, 'activities');
    try {
      // This process hosts the workflows as `augment run --worker` does.
      const latencies = await withWorkers(
        settings,
        ({ client }) => queryLatencies(client, settings, busy),
        { queues: ['cpu'], role: 'workflows' },
      );
      expect(latencies.length).toBeGreaterThan(5);
      expect(Math.max(...latencies)).toBeLessThan(BOUND_MS);
    } finally {
      await stop(busy);
    }
  });

  it('are held up by the activity in the same process (what the split prevents)', async () => {
    const settings = testSettings();
    const bundlePath = join(tempDir(), 'workflow-bundle.js');
    writeFileSync(bundlePath, (await workflowBundle()).code);
    const busy = busyWorker(settings, 'both', bundlePath);
    const client = await connectClient(settings.temporal);
    try {
      const latencies = await queryLatencies(client, settings, busy);
      expect(Math.max(...latencies)).toBeGreaterThan(BOUND_MS);
    } finally {
      await client.connection.close();
      await stop(busy);
    }
  });
});
