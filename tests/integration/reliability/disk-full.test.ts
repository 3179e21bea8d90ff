import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { verifyStageOutput } from '../../../lib/store/index.ts';
import { childProcessEnv, testSettings, withWorkers } from '../../helpers/temporal.ts';
import { tempDir } from '../../helpers/tmp.ts';

/**
 * A real full disk, without root: the cpu activity worker runs in its own user and mount
 * namespace (`unshare --user --map-root-user --mount`) with its work folder on a 4 MiB
 * tmpfs that a ballast file fills. The test reaches that tmpfs through the worker's
 * /proc/<pid>/root. Where the kernel does not allow unprivileged user namespaces, the
 * test is skipped and says so.
 */
const TMPFS_MOUNT = 'mount -t tmpfs -o size=4m tmpfs "$AUGMENT_WORK_DIR"';

function tmpfsWithoutRoot(): boolean {
  const probe = tempDir('augment-ns-probe-');
  const r = spawnSync(
    'unshare',
    ['--user', '--map-root-user', '--mount', 'sh', '-c', TMPFS_MOUNT],
    { env: { ...process.env, AUGMENT_WORK_DIR: probe }, stdio: 'ignore' },
  );
  return r.status === 0;
}
const supported = tmpfsWithoutRoot();
if (!supported)
  console.warn('[disk-full] skipped: unprivileged user namespaces (unshare -rm) are not allowed');

const config = parsePipelineConfig({
  name: 'disk-full-test',
  data: { source: 'synthetic:users=300,items=150,interactions=6000,seed=31' },
});

/** The cpu activities, in a namespace whose work folder is a full 4 MiB tmpfs. */
function fullDiskWorker(env: NodeJS.ProcessEnv, workDir: string): ChildProcess {
  const cli = join(PROJECT_ROOT, 'bin', 'augment.mjs');
  // The ballast fills the tmpfs (head stops at ENOSPC); exec keeps this PID for /proc.
  const script = `${TMPFS_MOUNT} && { head -c 8M /dev/zero > "$AUGMENT_WORK_DIR/ballast" 2>/dev/null; true; } && exec "$0" "$1" worker --queues cpu --role activities`;
  const child = spawn(
    'unshare',
    ['--user', '--map-root-user', '--mount', 'sh', '-c', script, process.execPath, cli],
    { cwd: PROJECT_ROOT, env: { ...env, AUGMENT_WORK_DIR: workDir }, stdio: 'pipe' },
  );
  child.stdout!.on('data', (d: Buffer) => process.stderr.write(`[full-disk worker] ${d}`));
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[full-disk worker] ${d}`));
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a full disk in a worker work folder', () => {
  it.skipIf(!supported)(
    'fails the attempt clearly with nothing left behind; the retry succeeds once space is back',
    async () => {
      const settings = testSettings();
      const workDir = tempDir('augment-full-disk-');
      // Only the workflows here; every cpu activity runs in the full-disk worker.
      await withWorkers(
        settings,
        async ({ client, store }) => {
          const worker = fullDiskWorker(childProcessEnv(settings), workDir);
          try {
            // The tmpfs as the worker sees it (this process sees the folder under it).
            const inside = `/proc/${worker.pid}/root${workDir}`;
            const handle = await startPipeline(client, settings, config, { until: 'ingest' });
            let failure: string | undefined;
            const deadline = Date.now() + 150_000;
            while (!failure && Date.now() < deadline) {
              const desc = await handle.describe().catch(() => undefined);
              const a = desc?.raw.pendingActivities?.find((p) => p.activityType?.name === 'ingest');
              const next = Number(a?.nextAttemptScheduleTime?.seconds ?? 0) * 1000;
              const message = a?.lastFailure?.message ?? '';
              // Between attempts (the next one more than a second away): nothing runs.
              if (message && next - Date.now() > 1000) failure = message;
              else await sleep(200);
            }
            expect(failure, 'ingest never failed on the full disk').toBeDefined();
            expect(failure).toMatch(
              new RegExp(
                `^stage ingest ran out of disk space in its work folder ${workDir}/augment-\\d+-ingest-\\w+ \\(ENOSPC: no space left on device.*\\); the folder is removed and nothing was published`,
              ),
            );
            // No leftovers: no work folder, nothing under the stage's prefix.
            expect(readdirSync(inside)).toEqual(['ballast']);
            expect(await store.list('stages/ingest/')).toEqual([]);

            rmSync(join(inside, 'ballast'));
            const summary = await watchPipeline(handle);
            expect(summary.status, summary.error).toBe('completed');
            const ingest = summary.stages.find((s) => s.name === 'ingest')!;
            expect(ingest.status).toBe('done');
            const key = ingest.outputs['interactions.parquet']!.split('/').slice(-4, -1).join('/');
            expect((await verifyStageOutput(store, key)).status).toBe('ok');
            expect(readdirSync(inside)).toEqual([]);
          } finally {
            if (worker.exitCode === null && worker.signalCode === null) {
              const exited = new Promise((r) => worker.once('exit', r));
              worker.kill('SIGTERM');
              await exited;
            }
          }
        },
        { role: 'workflows', queues: ['cpu'] },
      );
    },
    200_000,
  );
});
