import type { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { ConfigError } from '../../lib/config/errors.ts';
import { loadPipelineConfig, readConfigFile } from '../../lib/config/pipeline.ts';
import { STAGES } from '../../lib/contracts/index.ts';
import type { StageName } from '../../lib/contracts/index.ts';
import type { ExperimentProgress } from '../../lib/contracts/experiment.ts';
import { buildComparison, comparisonLines } from '../../lib/experiments/compare.ts';
import { describeOverrides, expandGrid, parseGrid } from '../../lib/experiments/grid.ts';
import {
  buildExperimentInput,
  startExperiment,
  watchExperiment,
} from '../../lib/runtime/experiment-client.ts';
import type { ExperimentSummary } from '../../lib/runtime/experiment-client.ts';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
import { guarded, info, printJson } from '../output.ts';
import { GPU_WORKERS_FLAG, parseGpuWorkers } from '../gpu-processes.ts';
import { withClientAndWorker } from '../session.ts';

interface ExperimentFlags {
  config?: string;
  grid: string;
  until?: string;
  maxParallel?: string;
  id?: string;
  wait?: boolean;
  json?: boolean;
  worker?: boolean;
  gpuWorkers?: string;
  dryRun?: boolean;
}

export function registerExperiment(program: Command): void {
  program
    .command('experiment')
    .description(
      'run one pipeline per point of a parameter grid and compare them (shared stages run once)',
    )
    .requiredOption(
      '-g, --grid <file>',
      'grid file: parameters (config path -> values), maxParallel',
    )
    .option('-c, --config <file>', 'base pipeline config; embedded defaults when omitted')
    .option('--until <stage>', `stop every variant after this stage (${STAGES.join(', ')})`)
    .option('--max-parallel <n>', "child pipelines in flight at once (default: the grid's, 2)")
    .option(
      '--id <workflowId>',
      'experiment workflow id (default: <name>-exp-<timestamp>-<random>)',
    )
    .option('--dry-run', 'validate and list the variants and warm-up steps; start nothing')
    .option('--wait', 'wait for the experiment and print the comparison')
    .option('--json', 'print JSON (with --wait: the experiment summary)')
    .option('--worker', 'also run a worker in this process for the duration of the experiment')
    .option(...GPU_WORKERS_FLAG)
    .action((flags: ExperimentFlags) => guarded(() => executeExperiment(flags)));
}

function parseFlags(flags: ExperimentFlags) {
  if (flags.until && !STAGES.includes(flags.until as StageName))
    throw new ConfigError('--until', [
      { field: '--until', value: flags.until, expected: `one of ${STAGES.join(', ')}` },
    ]);
  const maxParallel = flags.maxParallel === undefined ? undefined : Number(flags.maxParallel);
  if (
    maxParallel !== undefined &&
    !(Number.isInteger(maxParallel) && maxParallel >= 1 && maxParallel <= 64)
  )
    throw new ConfigError('--max-parallel', [
      { field: '--max-parallel', value: flags.maxParallel, expected: 'an integer 1..64' },
    ]);
  // The base must be valid on its own, so its errors name the base file, not a variant.
  if (flags.config) loadPipelineConfig(flags.config);
  const baseRaw = flags.config ? readConfigFile(flags.config) : {};
  const grid = parseGrid(readConfigFile(flags.grid), flags.grid);
  const variants = expandGrid(baseRaw ?? {}, grid, flags.grid);
  return { grid, variants, until: flags.until as StageName | undefined, maxParallel };
}

async function executeExperiment(flags: ExperimentFlags): Promise<void> {
  const { grid, variants, until, maxParallel } = parseFlags(flags);
  const gpuWorkers = parseGpuWorkers(flags.gpuWorkers);
  const settings = runtimeSettings();
  const input = buildExperimentInput(settings, variants, grid, { until, maxParallel });
  if (flags.dryRun) {
    if (flags.json)
      return printJson({
        variants: input.variants.map((v) => ({ label: v.label, overrides: v.overrides })),
        warmups: input.warmups.map((w) => ({ until: w.until, for: w.for })),
        maxParallel: input.maxParallel,
      });
    info(`${input.variants.length} variants of ${input.name}, ${input.maxParallel} at a time:`);
    for (const v of input.variants)
      info(`  ${v.label.padEnd(4)} ${describeOverrides(v.overrides)}`);
    for (const w of input.warmups)
      info(`  warm-up until ${w.until}: computed once for ${w.for.join(', ')}`);
    return;
  }
  await withClientAndWorker(
    settings,
    flags.worker,
    async (client) => {
      const handle = await startExperiment(client, settings, input, flags.id);
      if (!flags.wait) {
        if (flags.json) printJson({ experimentId: handle.workflowId });
        else
          info(
            `started experiment ${handle.workflowId} (${input.variants.length} variants); follow it with: npx augment status ${handle.workflowId}`,
          );
        return;
      }
      await followExperiment(handle, flags.json === true);
    },
    gpuWorkers,
  );
}

/** Waits for an experiment with progress lines, then prints its comparison. */
export async function followExperiment(handle: WorkflowHandle, json: boolean): Promise<void> {
  if (!json) info(`experiment ${handle.workflowId} started`);
  const summary = await watchExperiment(handle, json ? undefined : experimentPrinter());
  if (json) printJson(summary);
  else printExperiment(summary);
  if (summary.status !== 'completed') process.exitCode = 1;
}

/** One line whenever the phase, a warm-up or a variant changes status. */
export function experimentPrinter(): (p: ExperimentProgress) => void {
  const seen = new Map<string, string>();
  return (p) => {
    const show = (key: string, state: string, line: string) => {
      if (seen.get(key) === state) return;
      seen.set(key, state);
      info(line);
    };
    show('phase', p.phase, `[${p.phase}]`);
    for (const w of p.warmups)
      show(
        w.workflowId,
        w.status,
        `  warm-up ${w.workflowId} (until ${w.until}): ${w.status}${w.error ? ` - ${w.error}` : ''}`,
      );
    for (const v of p.variants) {
      const outcome =
        v.status === 'completed' && v.b !== undefined
          ? ` ${v.metric} A ${v.a?.toFixed(4)} B ${v.b.toFixed(4)}, ${v.promote ? 'promote B' : 'keep A'}`
          : v.error
            ? ` - ${v.error}`
            : '';
      show(
        v.label,
        v.status,
        `  ${v.label} ${describeOverrides(v.overrides)}: ${v.status}${outcome}`,
      );
    }
  };
}

export function printExperiment(s: ExperimentSummary): void {
  info(`experiment ${s.experimentId}: ${s.status} in ${s.seconds.toFixed(1)} s`);
  const rows = s.result?.variants ?? s.progress?.variants;
  if (rows) {
    const axes = Object.keys(rows[0]?.overrides ?? {}).map((path) => ({ path, values: [] }));
    const c = buildComparison({
      experimentId: s.experimentId,
      name: '',
      createdAt: '',
      axes,
      rows,
    });
    for (const line of comparisonLines(c)) info(`  ${line}`);
  }
  const r = s.result;
  if (r?.outputs['comparison.html']) info(`comparison: ${r.outputs['comparison.html']}`);
  const mlflow = r?.tracking.mlflow ?? s.progress?.tracking.mlflow;
  if (mlflow) info(`MLflow run: ${mlflow.url}`);
  const trackingError = r?.tracking.error ?? s.progress?.tracking.error;
  if (trackingError) info(`MLflow tracking fell behind: ${trackingError}`);
  if (s.error) info(`error: ${s.error}`);
}
