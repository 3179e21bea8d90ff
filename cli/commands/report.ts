import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { endedExperimentSummary } from '../../lib/runtime/experiment-client.ts';
import { endedRunSummary } from '../../lib/runtime/pipeline-client.ts';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
import { readArtifactUri } from '../../lib/store/index.ts';
import { guarded, info, printJson, withClient } from '../output.ts';
import { printExperiment } from './experiment.ts';
import { printSummary } from './run.ts';

/**
 * `augment report <id>`: the outcome of a finished run or experiment - the metrics table
 * and decision, or the experiment's comparison - read from Temporal and the artifact
 * store (no worker needed). `--out` saves the HTML document, `--json` prints its data.
 */
export function registerReport(program: Command): void {
  program
    .command('report <workflowId>')
    .description("a finished run's report (or an experiment's comparison): summary, HTML, JSON")
    .option('-o, --out <file>', 'save the HTML report (or comparison) to this file')
    .option('--json', 'print the report data (report.json or comparison.json)')
    .action((workflowId: string, flags: { out?: string; json?: boolean }) =>
      guarded(() =>
        withClient(async (client) => {
          const handle = client.workflow.getHandle(workflowId);
          const desc = await handle.describe();
          if (desc.status.name === 'RUNNING')
            throw new Error(
              `${workflowId} is still running; its report exists once it completes (progress: npx augment status ${workflowId})`,
            );
          const experiment = desc.type === 'experiment';
          const s3 = runtimeSettings().s3;
          let outputs: Record<string, string> = {};
          if (experiment) {
            const summary = await endedExperimentSummary(handle);
            outputs = summary.result?.outputs ?? {};
            if (!flags.json) printExperiment(summary);
          } else {
            const summary = await endedRunSummary(handle);
            // The summary already carries each stage's output URIs (from the result).
            outputs = summary.stages.find((st) => st.name === 'report')?.outputs ?? {};
            if (!flags.json) printSummary(summary);
          }
          const [htmlName, jsonName] = experiment
            ? ['comparison.html', 'comparison.json']
            : ['report.html', 'report.json'];
          if ((flags.out || flags.json) && !outputs[htmlName])
            throw new Error(
              `${workflowId} has no ${htmlName}: ${desc.status.name === 'COMPLETED' ? 'its report stage did not run (--until, or a run older than the report stage)' : `it ended ${desc.status.name}`}`,
            );
          if (flags.json)
            printJson(
              JSON.parse(new TextDecoder().decode(await readArtifactUri(outputs[jsonName]!, s3))),
            );
          if (flags.out) {
            writeFileSync(flags.out, await readArtifactUri(outputs[htmlName]!, s3));
            info(`saved ${htmlName} to ${flags.out}`);
          }
        }),
      ),
    );
}
