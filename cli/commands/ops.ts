import type { Command } from 'commander';
import { resumePipeline, watchPipeline } from '../../lib/runtime/pipeline-client.ts';
import { guarded, info, printJson, withClient } from '../output.ts';
import { progressPrinter } from '../progress.ts';
import { followExperiment } from './experiment.ts';
import { printSummary } from './run.ts';

/** Operator commands: list runs, resume a failed one, cancel a running one. */
export function registerOps(program: Command): void {
  program
    .command('list')
    .description('recent pipeline runs and experiments, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action((flags: { limit: string; json?: boolean }) =>
      guarded(() =>
        withClient(async (client) => {
          const rows: {
            workflowId: string;
            type: string;
            status: string;
            start: string;
            close?: string;
          }[] = [];
          const query = "WorkflowType = 'pipeline' OR WorkflowType = 'experiment'";
          for await (const wf of client.workflow.list({ query })) {
            rows.push({
              workflowId: wf.workflowId,
              type: wf.type,
              status: wf.status.name,
              start: wf.startTime.toISOString(),
              close: wf.closeTime?.toISOString(),
            });
            if (rows.length >= Number(flags.limit)) break;
          }
          if (flags.json) return printJson(rows);
          if (rows.length === 0) info('no pipeline runs');
          for (const r of rows)
            info(
              `${r.workflowId.padEnd(52)} ${r.type.padEnd(10)} ${r.status.padEnd(11)} ${r.start}`,
            );
        }),
      ),
    );

  program
    .command('resume <workflowId>')
    .description(
      'restart a failed or cancelled run or experiment; finished stages are reused (cached), the rest runs again',
    )
    .option('--wait', 'wait and show progress')
    .option('--json', 'with --wait: print the run summary as JSON')
    .action((workflowId: string, flags: { wait?: boolean; json?: boolean }) =>
      guarded(() =>
        withClient(async (client) => {
          const handle = await resumePipeline(client, workflowId);
          if ((await handle.describe()).type === 'experiment') {
            if (flags.wait) return followExperiment(handle, flags.json === true);
            if (flags.json) return printJson({ workflowId: handle.workflowId });
            return info(`resumed experiment ${workflowId}; finished variants come back cached`);
          }
          if (!flags.wait) {
            if (flags.json) return printJson({ workflowId: handle.workflowId });
            return info(`resumed ${workflowId}; follow it with: npx augment status ${workflowId}`);
          }
          const summary = await watchPipeline(handle, flags.json ? undefined : progressPrinter());
          if (flags.json) printJson(summary);
          else printSummary(summary);
          if (summary.status !== 'completed') process.exitCode = 1;
        }),
      ),
    );

  program
    .command('cancel <workflowId>')
    .description(
      'cancel a running run: activities stop at their next heartbeat, nothing half-published',
    )
    .action((workflowId: string) =>
      guarded(() =>
        withClient(async (client) => {
          await client.workflow.getHandle(workflowId).cancel();
          info(`cancellation requested for ${workflowId}`);
        }),
      ),
    );
}
