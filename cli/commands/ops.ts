import type { Command } from 'commander';
import { STAGES } from '../../lib/contracts/index.ts';
import type { StageName } from '../../lib/contracts/index.ts';
import { resumePipeline, watchPipeline } from '../../lib/runtime/pipeline-client.ts';
import { invalidateStage, verifyRun } from '../../lib/runtime/run-artifacts.ts';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
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
    .option(
      '--recompute <stage>',
      "first invalidate this stage's output and everything computed from it (e.g. after augment verify found it corrupted), so they are republished; a completed run is restarted too",
    )
    .action((workflowId: string, flags: { wait?: boolean; json?: boolean; recompute?: string }) =>
      guarded(() =>
        withClient(async (client) => {
          if (flags.recompute) {
            const stage = parseStage(flags.recompute, '--recompute');
            const removed = await invalidateStage(client, workflowId, stage, runtimeSettings().s3);
            info(`invalidated ${removed.length} stage output(s): ${removed.join(', ')}`);
          }
          const handle = await resumePipeline(client, workflowId, {
            completed: flags.recompute !== undefined,
          });
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
    .command('verify <workflowId>')
    .description(
      "check every artifact of a run against its manifest (sha256 of each file, the manifest's own hash) without running anything; exits 1 on any problem",
    )
    .option('--json', 'print JSON')
    .action((workflowId: string, flags: { json?: boolean }) =>
      guarded(() =>
        withClient(async (client) => {
          const report = await verifyRun(client, workflowId, runtimeSettings().s3);
          const bad = report.stages.filter((s) => s.status !== 'ok');
          if (flags.json) printJson(report);
          else {
            if (report.stages.length === 0) info(`${workflowId}: no finished stages to verify`);
            for (const s of report.stages) {
              const size = `${s.files} file(s), ${(s.bytes / 1e6).toFixed(1)} MB`;
              info(`${s.stage.padEnd(12)} ${s.status.padEnd(9)} ${size}  ${s.key}`);
              for (const p of s.problems) info(`  ${p}`);
            }
            for (const c of report.corruptions)
              info(`the run's ${c.reader} stage failed reading ${c.uri}: corrupted`);
            if (bad.length > 0) {
              const first = report.stages.find((s) => s.status !== 'ok')!.stage;
              info(`repair: npx augment resume ${workflowId} --recompute ${first}`);
            }
          }
          if (bad.length > 0 || report.corruptions.length > 0) process.exitCode = 1;
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

/** A stage name from a flag, or a ConfigError naming the stages. */
function parseStage(value: string, flag: string): StageName {
  if (STAGES.includes(value as StageName)) return value as StageName;
  throw Object.assign(
    new Error(`${flag}: "${value}" is not a stage (expected one of ${STAGES.join(', ')})`),
    { name: 'ConfigError' },
  );
}
