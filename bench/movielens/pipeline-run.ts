/**
 * One whole pipeline run for a bench: the config written to a temporary file, the local
 * stack started if it is not up, `augment run --wait --json --worker` in a child process,
 * and its run summary parsed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RunSummary as PipelineSummary } from '../../lib/runtime/pipeline-client.ts';
import { benchStackEnv } from '../common/stack.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface RunSummary {
  workflowId: string;
  stages: {
    name: string;
    status: string;
    seconds: number | null;
    stats: Record<string, unknown>;
  }[];
  decision?: { promote: boolean; reasons: string[] };
  segments?: PipelineSummary['segments'];
}

let env: NodeJS.ProcessEnv | undefined;

/** Starts the local stack once per process and returns the environment that points at it. */
async function stackEnv(): Promise<NodeJS.ProcessEnv> {
  env ??= { ...process.env, ...(await benchStackEnv('bench')) };
  return env;
}

export async function runPipeline(
  config: Record<string, unknown>,
  extraArgs: string[] = [],
): Promise<RunSummary & { seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  const t0 = performance.now();
  const env = await stackEnv();
  let run;
  try {
    run = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'augment.mjs'),
        'run',
        '--config',
        file,
        '--wait',
        '--json',
        '--worker',
        ...extraArgs,
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (run.status !== 0) throw new Error(`the run failed (exit ${run.status}); see above`);
  const summary = JSON.parse(run.stdout.toString()) as RunSummary;
  return { ...summary, seconds: (performance.now() - t0) / 1000 };
}

/** A stage's stats from a run summary ({} when it did not run). */
export function stageStats(summary: RunSummary, name: string): Record<string, unknown> {
  return summary.stages.find((s) => s.name === name)?.stats ?? {};
}
