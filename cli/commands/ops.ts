import type { Command } from 'commander';
import { resumePipeline, watchPipeline } from '../../lib/runtime/pipeline-client.ts';
import { guarded, info, printJson, withClient } from '../output.ts';
import { progressPrinter } from '../progress.ts';
import { printSummary } from './run.ts';

/** Operator commands: list runs, resume a failed one, cancel a running one. */
export function registerOps(program: Command): void {
  program
    .command('list')
    .description('recent pipeline runs, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action((flags: { limit: string; json?: boolean }) =>
      guarded(() =>
        withClient(async (client) => {
          const rows: { workflowId: string; status: string; start: string; close?: string }[] = [];
          for await (const wf of client.workflow.list({ query: "WorkflowType = 'pipeline'" })) {
            rows.push({
              workflowId: wf.workflowId,
              status: wf.status.name,
              start: wf.startTime.toISOString(),
              close: wf.closeTime?.toISOString(),
            });
            if (rows.length >= Number(flags.limit)) break;
          }
          if (flags.json) return printJson(rows);
          if (rows.length === 0) info('no pipeline runs');
          for (const r of rows)
            info(`${r.workflowId.padEnd(52)} ${r.status.padEnd(11)} ${r.start}`);
        }),
      ),
    );

  program
    .command('resume <workflowId>')
    .description(
      'restart a failed or cancelled run; finished stages are reused (cached), the rest runs again',
    )
    .option('--wait', 'wait and show progress')
    .option('--json', 'with --wait: print the run summary as JSON')
    .action((workflowId: string, flags: { wait?: boolean; json?: boolean }) =>
      guarded(() =>
        withClient(async (client) => {
          const handle = await resumePipeline(client, workflowId);
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
