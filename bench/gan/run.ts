/**
 * CFGAN training speed: the pipeline's trainer (sparse first layers; the dense layers through
 * tfjs with `--threads 1`, else on the threads' SIMD kernels) against a PyTorch CPU reference
 * of the same network (bench/gan/torch_ref.py, dense inputs) on the same synthetic train
 * split. Paper hyper-parameters (400/125 units, batch 64, Adam).
 *
 *   npx tsx bench/gan/run.ts                      # 10K users x 5K items, 3 epochs each
 *   npx tsx bench/gan/run.ts --users 2000 --items 1000 --epochs 2
 *   npx tsx bench/gan/run.ts --threads 1 --runs 5 # gan.threads (default 0: one per core)
 *   npx tsx bench/gan/run.ts --noise              # noise input off/on: generator valid NDCG@10
 *                                                 # on the demo data with the pipeline defaults
 *
 * Ours and the reference alternate `--runs` times (default 3) on the same machine state, the
 * reference on as many threads as ours; the figures are medians of the runs' best epochs,
 * with min and max; CPU seconds per epoch (all threads; ours after the first epoch, which
 * pays for the setup) say how much work each did and, beside the wall time, how busy the
 * machine was.
 * The reference needs torch in the bench-only venv: `npm run bench:setup` (a large download;
 * the product never imports torch). Without it the script prints our figures only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../lib/compute/backend.ts';
import { evaluateFullRankingAsync } from '../../lib/eval/index.ts';
import { GeneratorScorer, trainCfgan } from '../../lib/gan/index.ts';
import type { CfganConfig } from '../../lib/gan/index.ts';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { syntheticSplits } from '../../lib/data/synthetic-splits.ts';
import { writeCsrFile } from '../common/csr-file.ts';
import { writeBenchResult } from '../common/results.ts';

function arg(name: string, fallback: number): number {
  const k = process.argv.indexOf(name);
  return k >= 0 ? Number(process.argv[k + 1]) : fallback;
}

const noise = process.argv.includes('--noise');
const users = arg('--users', noise ? 3_000 : 10_000);
const items = arg('--items', noise ? 1_500 : 5_000);
const interactions = arg('--interactions', users * 50);
// (3,000 x 50 = 150K: the demo's data.)
const epochs = arg('--epochs', 3);
const threads = arg('--threads', 0);
const runs = Math.max(1, arg('--runs', 3));

/** Speed: the paper's network, one D and one G pass per epoch over users, no validation. */
const PAPER: Omit<CfganConfig, 'epochs' | 'seed'> = {
  variant: 'user',
  generatorUnits: 400,
  discriminatorUnits: 125,
  noiseDim: 0,
  dSteps: 1,
  gSteps: 1,
  batchSize: 64,
  discriminatorBatchSize: 64,
  learningRate: 1e-4,
  regG: 0,
  zrRatio: 0.7,
  pmRatio: 0.7,
  zrCoefficient: 0.03,
  reconstructionCoefficient: 0,
  inputDropout: 0,
  validateEvery: 0,
  patience: 1,
};

function splits() {
  const { nUsers, nItems, data } = syntheticSplits({
    users,
    items,
    interactions,
    seed: 42,
    kCore: 5,
  });
  return { nUsers, nItems, train: data.train, valid: data.valid };
}

async function ours(data: ReturnType<typeof splits>, config: Partial<CfganConfig> = {}) {
  // CPU seconds (all threads) at the end of each epoch; the first includes the setup.
  const cpu = [process.cpuUsage()];
  const { history, generator } = await trainCfgan(
    { nUsers: data.nUsers, nItems: data.nItems, train: data.train },
    { ...PAPER, epochs, seed: 1, threads, ...config },
    { onEpoch: () => void cpu.push(process.cpuUsage()) },
  );
  const best = Math.min(...history.map((h) => h.seconds));
  const used = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) =>
    (b.user - a.user + b.system - a.system) / 1e6;
  // After the first epoch when there are several (the first pays for the setup).
  const from = cpu.length > 2 ? 1 : 0;
  return {
    history,
    generator,
    secondsPerEpoch: best,
    samplesPerSec: history[0]!.samples / best,
    /** All threads' CPU seconds per epoch. */
    cpuSecondsPerEpoch: used(cpu[from]!, cpu.at(-1)!) / (cpu.length - 1 - from),
  };
}

/** The median, min and max of some figures. */
function spread(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)! };
}

const round3 = (x: number) => +x.toFixed(3);

/** The PyTorch reference's best epoch on `file` with `torchThreads` threads. */
function torchReference(python: string, file: string, torchThreads: number) {
  const out = execFileSync(python, [
    join(import.meta.dirname, 'torch_ref.py'),
    '--data',
    file,
    '--epochs',
    String(epochs),
    '--threads',
    String(torchThreads),
  ]).toString();
  return JSON.parse(out.trim().split('\n').at(-1)!) as {
    torch: string;
    secondsPerEpoch: number;
    samplesPerSec: number;
    cpuSecondsPerEpoch: number;
  };
}

async function validNdcg(data: ReturnType<typeof splits>, g: Awaited<ReturnType<typeof ours>>) {
  const scorer = await GeneratorScorer.create(g.generator, data.train);
  const r = await evaluateFullRankingAsync(
    { nUsers: data.nUsers, nItems: data.nItems, train: data.train, test: data.valid },
    scorer,
    { ks: [10], excludeValid: false },
  );
  scorer.dispose();
  return r.summary.overall['ndcg@10']!;
}

/** The ECIR 2022 question: does a noise input help? Demo data, pipeline defaults. */
async function noiseStudy() {
  const defaults = parsePipelineConfig({}).gan;
  const data = splits();
  const validNdcg10: Record<string, number> = {};
  for (const noiseDim of [0, 32]) {
    const g = await ours(data, {
      ...defaults,
      noiseDim,
      epochs: arg('--epochs', defaults.epochs),
    });
    validNdcg10[`noiseDim ${noiseDim}`] = +(await validNdcg(data, g)).toFixed(4);
    console.log(
      `noiseDim ${noiseDim}: ${g.history.length} epochs, generator valid NDCG@10 ` +
        validNdcg10[`noiseDim ${noiseDim}`]!.toFixed(4),
    );
  }
  await writeBenchResult('gan-noise', {
    users: data.nUsers,
    items: data.nItems,
    epochs: arg('--epochs', defaults.epochs),
    generatorValidNdcg10: validNdcg10,
  });
}

async function main() {
  if (process.argv.includes('--noise')) return noiseStudy();
  const backend = (await initBackend()).name;
  const data = splits();
  const nnz = data.train.indptr[data.nUsers]!;
  // What `threads: 0` resolves to here for data this large; the reference gets as many.
  const refThreads = threads > 0 ? threads : availableParallelism();
  const dense = refThreads > 1 ? `${refThreads} threads` : `tfjs ${backend}`;
  console.log(
    `CFGAN ${PAPER.generatorUnits}/${PAPER.discriminatorUnits}, batch ${PAPER.batchSize}: ` +
      `${data.nUsers} users x ${data.nItems} items, ${nnz} train positives; ${epochs} epochs; ` +
      `${cpus().length} cores; gan.threads ${threads}; ${runs} interleaved runs`,
  );
  const python = join(import.meta.dirname, '..', '..', '.venv-bench', 'bin', 'python');
  const dir = mkdtempSync(join(tmpdir(), 'bench-gan-'));
  const file = join(dir, 'train.bin');
  writeCsrFile(file, data.nUsers, data.nItems, data.train);
  const mine: Awaited<ReturnType<typeof ours>>[] = [];
  const refs: ReturnType<typeof torchReference>[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const o = await ours(data);
      mine.push(o);
      console.log(
        `run ${run}: ours (${dense}, sparse first layers): ${o.secondsPerEpoch.toFixed(2)} s/epoch, ` +
          `${Math.round(o.samplesPerSec)} users/s, ${o.cpuSecondsPerEpoch.toFixed(2)} CPU s/epoch ` +
          `(epochs: ${o.history.map((h) => h.seconds.toFixed(2)).join(', ')})`,
      );
      if (!existsSync(python)) continue;
      const ref = torchReference(python, file, refThreads);
      refs.push(ref);
      console.log(
        `run ${run}: PyTorch ${ref.torch} CPU (dense inputs, ${refThreads} threads): ` +
          `${ref.secondsPerEpoch.toFixed(2)} s/epoch, ${Math.round(ref.samplesPerSec)} users/s, ` +
          `${ref.cpuSecondsPerEpoch.toFixed(2)} CPU s/epoch`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!existsSync(python))
    console.log('PyTorch reference skipped: run `npm run bench:setup` to install it');
  const epoch = spread(mine.map((o) => o.secondsPerEpoch));
  const torch = refs.length ? spread(refs.map((r) => r.secondsPerEpoch)) : undefined;
  const ratio = torch ? epoch.median / torch.median : undefined;
  if (torch)
    console.log(
      `ours / PyTorch median epoch time: ${ratio!.toFixed(2)}x ` +
        `(ours ${epoch.median.toFixed(2)} s [${epoch.min.toFixed(2)}-${epoch.max.toFixed(2)}], ` +
        `PyTorch ${torch.median.toFixed(2)} s [${torch.min.toFixed(2)}-${torch.max.toFixed(2)}]; goal: <= 1x)`,
    );
  const figures = {
    ganSamplesPerSec: Math.round(mine[0]!.history[0]!.samples / epoch.median),
    ganSecondsPerEpoch: round3(epoch.median),
    ganVsTorch: ratio,
  };
  await writeBenchResult(
    `gan-speed-${data.nUsers}x${data.nItems}${threads ? `-${threads}t` : ''}`,
    {
      users: data.nUsers,
      items: data.nItems,
      trainPositives: nnz,
      epochs,
      backend,
      threads,
      runs,
      ...figures,
      ganSecondsPerEpochMin: round3(epoch.min),
      ganSecondsPerEpochMax: round3(epoch.max),
      ganCpuSecondsPerEpoch: round3(spread(mine.map((o) => o.cpuSecondsPerEpoch)).median),
      ganVsTorch: ratio === undefined ? null : +ratio.toFixed(2),
      torchThreads: torch ? refThreads : null,
      torchSecondsPerEpoch: torch ? round3(torch.median) : null,
      torchSecondsPerEpochMin: torch ? round3(torch.min) : null,
      torchSecondsPerEpochMax: torch ? round3(torch.max) : null,
      torchCpuSecondsPerEpoch: refs.length
        ? round3(spread(refs.map((r) => r.cpuSecondsPerEpoch)).median)
        : null,
    },
  );
  console.log(JSON.stringify(figures));
}

void main();
