/**
 * Resample benchmark: 10M real + 1M synthetic rows (100K users x 20K items) through
 * `resample`, once per negative-sampling setting, each in a fresh process so peak RSS is
 * its own. Input generation is not timed.
 *
 *   npx tsx bench/resample/run.ts                       # all settings
 *   npx tsx bench/resample/run.ts --case default        # one setting
 *   npx tsx bench/resample/run.ts --real 1000000 --synthetic 100000
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RESAMPLE_CONFIG, resample } from '../../lib/sampling/index.ts';
import type { ResampleConfig } from '../../lib/sampling/index.ts';
import { sizeName, writeBenchResult } from '../common/results.ts';
import { benchInput, DEFAULT_SHAPE } from './inputs.ts';

const CASES: Record<string, ResampleConfig> = {
  default: DEFAULT_RESAMPLE_CONFIG,
  pruned: { ...DEFAULT_RESAMPLE_CONFIG, dropRate: 0.2, minScore: 0.1, tailBoost: 2 },
  uniform1: { ...DEFAULT_RESAMPLE_CONFIG, negatives: { strategy: 'uniform', perPositive: 1 } },
  popularity1: {
    ...DEFAULT_RESAMPLE_CONFIG,
    negatives: { strategy: 'popularity', perPositive: 1 },
  },
  hard1: { ...DEFAULT_RESAMPLE_CONFIG, negatives: { strategy: 'hard', perPositive: 1 } },
};

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(name);
  return k >= 0 ? process.argv[k + 1] : undefined;
}

async function one(name: string, real: number, syn: number): Promise<void> {
  const cfg = CASES[name];
  if (!cfg) throw new Error(`unknown case ${name}; one of ${Object.keys(CASES).join(', ')}`);
  const input = benchInput({ ...DEFAULT_SHAPE, realRows: real, syntheticRows: syn });
  const rows = input.train.n + syn;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { a, b, report } = resample(input, cfg, 42);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const peakMB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(
    `${name.padEnd(12)} ${(rows / 1e6).toFixed(2)}M in  ${s.toFixed(2)} s  ` +
      `${(rows / s / 1e6).toFixed(2)}M rows/s  cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s  ` +
      `A ${a.n}  B ${b.n}  share ${report.share.achieved.toFixed(4)}  peak RSS ${peakMB} MB  ` +
      `(load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)`,
  );
  if (process.argv.includes('--report')) console.log(JSON.stringify(report, null, 1));
  const shape =
    real === DEFAULT_SHAPE.realRows && syn === DEFAULT_SHAPE.syntheticRows
      ? ''
      : `-${sizeName(real)}-${sizeName(syn)}`;
  await writeBenchResult(`resample-${name}${shape}`, {
    realRows: input.train.n,
    syntheticRows: syn,
    seconds: +s.toFixed(2),
    rowsPerSec: Math.round(rows / s),
    cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    rowsA: a.n,
    rowsB: b.n,
    syntheticShare: +report.share.achieved.toFixed(4),
    peakRssMB: peakMB,
  });
}

const real = Number(arg('--real') ?? DEFAULT_SHAPE.realRows);
const syn = Number(arg('--synthetic') ?? DEFAULT_SHAPE.syntheticRows);
const only = arg('--case');
if (process.argv.includes('--one')) await one(only!, real, syn);
else {
  for (const name of only ? [only] : Object.keys(CASES)) {
    execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--one',
        '--case',
        name,
        '--real',
        String(real),
        '--synthetic',
        String(syn),
        ...(process.argv.includes('--report') ? ['--report'] : []),
      ],
      { stdio: 'inherit' },
    );
  }
}
