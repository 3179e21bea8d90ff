import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { connectClient } from '../../../lib/temporal/connection.ts';
import { childProcessEnv, testSettings, withWorkers } from '../../helpers/temporal.ts';
import { tempDir } from '../../helpers/tmp.ts';

const run = promisify(execFile);
const CLI = join(PROJECT_ROOT, 'bin', 'augment.mjs');

function smallConfig(name: string): string {
  const config = join(tempDir(), 'exp.yaml');
  writeFileSync(
    config,
    [
      `name: ${name}`,
      'data:',
      '  source: synthetic:users=60,items=40,interactions=900,seed=5',
    ].join('\n'),
  );
  return config;
}

describe('augment run --wait --json --worker', () => {
  it('writes exactly one JSON document to stdout; the SDK and Temporal core log to stderr', async () => {
    const settings = testSettings();
    const args = ['run', '--config', smallConfig('json-out'), '--until', 'ingest'];
    const { stdout, stderr } = await run(
      process.execPath,
      [CLI, ...args, '--wait', '--json', '--worker'],
      {
        cwd: PROJECT_ROOT,
        // DEBUG makes core log plenty (worker registration, polls): lines that core would
        // print to stdout itself if they were not forwarded.
        env: { ...childProcessEnv(settings), AUGMENT_LOG_LEVEL: 'DEBUG' },
        timeout: 150_000,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const summary = JSON.parse(stdout) as { status: string };
    // Not a byte more than the document printJson writes.
    expect(stdout).toBe(`${JSON.stringify(summary, null, 2)}\n`);
    expect(summary.status).toBe('completed');
    expect(stderr).toContain('"sdkComponent":"core"');
  });
});

describe('augment run --wait with no worker polling', () => {
  it("says on stderr that no worker polls the run's task queues, and carries on once one does", async () => {
    const settings = testSettings();
    const workflowId = `no-poller-${Date.now()}`;
    const args = ['run', '--config', smallConfig('no-poller'), '--until', 'ingest'];
    const child = spawn(process.execPath, [CLI, ...args, '--id', workflowId, '--wait'], {
      cwd: PROJECT_ROOT,
      env: childProcessEnv(settings),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const prefix = settings.temporal.taskQueuePrefix;
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const hinted = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no hint within 60 s:\n${stderr}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes(`"${prefix}-cpu"`) && stderr.includes(`"${prefix}-gpu"`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => reject(new Error(`CLI exited with ${code}:\n${stderr}`)));
    });
    try {
      await hinted;
      expect(stderr).toMatch(
        new RegExp(
          `no worker is polling task queue "${prefix}-cpu" .*\`npx augment worker\`.*--worker`,
        ),
      );
      expect(stderr).toMatch(
        new RegExp(
          `no worker is polling task queue "${prefix}-gpu" .*\`npx augment worker --queues gpu\``,
        ),
      );
      // The run was waiting, not failed: with workers up it finishes and the CLI exits 0.
      await withWorkers(settings, async () => expect(await exited).toBe(0));
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const client = await connectClient(settings.temporal);
        await client.workflow
          .getHandle(workflowId)
          .terminate('test over')
          .catch(() => undefined);
        await client.connection.close();
      }
    }
  });
});
