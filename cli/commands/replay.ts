import { readFile } from 'node:fs/promises';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Command } from 'commander';
import { ensureStderrRuntime } from '../../lib/temporal/runtime.ts';
import { WORKFLOWS_PATH } from '../../workers/start-worker.ts';
import { guarded, info, printJson } from '../output.ts';

/**
 * `augment replay FILE...`: replays saved workflow histories (JSON, as `temporal workflow
 * show --output json` writes them) against this checkout's workflow code. Run it before
 * deploying a workflow change: a non-determinism error here means runs in flight would break.
 */
export function registerReplay(program: Command): void {
  program
    .command('replay <files...>')
    .description('replay saved workflow histories against the current workflow code')
    .option('--json', 'print the results as JSON')
    .action((files: string[], opts: { json?: boolean }) =>
      guarded(async () => {
        // Replay runs on Temporal's runtime: its logs go to stderr, beside --json on stdout.
        ensureStderrRuntime();
        const workflowBundle = await bundleWorkflowCode({
          workflowsPath: WORKFLOWS_PATH,
          logger: new DefaultLogger('WARN'),
        });
        const results = [];
        for (const file of files) {
          const history: unknown = JSON.parse(await readFile(file, 'utf8'));
          const t0 = Date.now();
          try {
            await Worker.runReplayHistory({ workflowBundle }, history, file);
            results.push({ file, ok: true, seconds: (Date.now() - t0) / 1000 });
          } catch (err) {
            results.push({ file, ok: false, error: (err as Error).message });
          }
        }
        if (opts.json) printJson(results);
        for (const r of results) info(r.ok ? `${r.file}: replayed` : `${r.file}: ${r.error}`);
        if (results.some((r) => !r.ok)) process.exitCode = 1;
      }),
    );
}
