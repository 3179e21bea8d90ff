import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { resolveStackOptions, stackUp } from '../../lib/stack/index.ts';
import { guarded, info, printJson } from '../output.ts';
import { executeRun, printSummary } from './run.ts';

/**
 * The newcomer's one command: start the local stack, run a worker in-process, run the
 * whole pipeline on the embedded defaults (a synthetic log), print results and URLs.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'start the local stack and run the whole pipeline on embedded defaults (synthetic data)',
    )
    .option('-c, --config <file>', 'use this config instead of the embedded defaults')
    .option('--json', 'print the run summary as JSON')
    .action((flags: { config?: string; json?: boolean }) =>
      guarded(async () => {
        const t0 = Date.now();
        const opts = resolveStackOptions();
        const up = await stackUp(opts, flags.json ? undefined : (m) => info(`[stack] ${m}`));
        const summary = await executeRun({
          config: flags.config,
          wait: true,
          worker: true,
          // A second gpu-queue process where there is a second core: the GAN and LLM
          // branches, then models A and B, run side by side.
          gpuWorkers: availableParallelism() >= 2 ? 2 : 1,
          json: flags.json,
          silent: true,
        });
        if (!summary) return;
        const urls = {
          temporalUi: `${up.status.temporal.ui}/namespaces/${up.status.temporal.namespace}/workflows/${summary.workflowId}`,
          mlflowUi: summary.tracking.mlflow?.url ?? up.status.mlflow.url,
          s3Console: up.status.s3.console,
        };
        if (flags.json) return printJson({ ...summary, urls });
        printSummary(summary);
        info('');
        info(`Temporal UI: ${urls.temporalUi}`);
        info(`MLflow UI:   ${urls.mlflowUi}`);
        info(`S3 console:  ${urls.s3Console} (credentials in ${opts.dir}/credentials.json)`);
        info(
          `demo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s (stack left running: npx augment stack down)`,
        );
      }),
    );
}
