/**
 * CFGAN training speed: the pipeline's trainer (tfjs, sparse first layers) against a
 * PyTorch CPU reference of the same network (bench/gan/torch_ref.py, dense inputs) on the
 * same synthetic train split. Paper hyper-parameters (400/125 units, batch 64, Adam).
 *
 *   npx tsx bench/gan/run.ts                      # 10K users x 5K items, 3 epochs each
 *   npx tsx bench/gan/run.ts --users 2000 --items 1000 --epochs 2
 *   npx tsx bench/gan/run.ts --noise              # noise input off/on: generator valid NDCG@10
 *                                                 # on the demo data with the pipeline defaults
 *
 * The reference needs torch in the bench-only venv: `npm run bench:setup` (a large download;
 * the product never imports torch). Without it the script prints our figures only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
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
  const { history, generator } = await trainCfgan(
    { nUsers: data.nUsers, nItems: data.nItems, train: data.train },
    { ...PAPER, epochs, seed: 1, ...config },
  );
  const best = Math.min(...history.map((h) => h.seconds));
  return { history, generator, secondsPerEpoch: best, samplesPerSec: history[0]!.samples / best };
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
  console.log(
    `CFGAN ${PAPER.generatorUnits}/${PAPER.discriminatorUnits}, batch ${PAPER.batchSize}: ` +
      `${data.nUsers} users x ${data.nItems} items, ${nnz} train positives; ${epochs} epochs; ` +
      `${cpus().length} cores`,
  );
  const o = await ours(data);
  console.log(
    `ours (tfjs ${backend}, sparse first layers): ${o.secondsPerEpoch.toFixed(2)} s/epoch, ` +
      `${Math.round(o.samplesPerSec)} users/s  (epochs: ${o.history.map((h) => h.seconds.toFixed(2)).join(', ')})`,
  );
  const python = join(import.meta.dirname, '..', '..', '.venv-bench', 'bin', 'python');
  let ratio: number | undefined;
  let torchSeconds: number | undefined;
  if (existsSync(python)) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-gan-'));
    const file = join(dir, 'train.bin');
    writeCsrFile(file, data.nUsers, data.nItems, data.train);
    let out: string;
    try {
      out = execFileSync(python, [
        join(import.meta.dirname, 'torch_ref.py'),
        '--data',
        file,
        '--epochs',
        String(epochs),
        '--threads',
        String(cpus().length),
      ]).toString();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const ref = JSON.parse(out.trim().split('\n').at(-1)!) as {
      torch: string;
      secondsPerEpoch: number;
      samplesPerSec: number;
    };
    ratio = o.secondsPerEpoch / ref.secondsPerEpoch;
    torchSeconds = ref.secondsPerEpoch;
    console.log(
      `PyTorch ${ref.torch} CPU (dense inputs): ${ref.secondsPerEpoch.toFixed(2)} s/epoch, ` +
        `${Math.round(ref.samplesPerSec)} users/s`,
    );
    console.log(`ours / PyTorch epoch time: ${ratio.toFixed(2)}x (goal: <= 2x)`);
  } else console.log('PyTorch reference skipped: run `npm run bench:setup` to install it');

  const figures = {
    ganSamplesPerSec: Math.round(o.samplesPerSec),
    ganSecondsPerEpoch: o.secondsPerEpoch,
    ganVsTorch: ratio,
  };
  await writeBenchResult(`gan-speed-${data.nUsers}x${data.nItems}`, {
    users: data.nUsers,
    items: data.nItems,
    trainPositives: nnz,
    epochs,
    backend,
    ...figures,
    ganVsTorch: ratio === undefined ? null : +ratio.toFixed(2),
    torchSecondsPerEpoch: torchSeconds ?? null,
  });
  console.log(JSON.stringify(figures));
}

void main();
