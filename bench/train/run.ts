/**
 * Recommender training speed per model and tfjs backend, and full-ranking evaluation speed
 * of each trained model (run by hand):
 *
 *   npx tsx bench/train/run.ts [--users 10000] [--items 10000] [--interactions 1000000]
 *                              [--epochs 2] [--backends wasm,cpu] [--quick]
 *                              [--families bpr,neumf,ials] [--bpr-kernels simd,typed,tfjs]
 *                              [--bpr-optimizers sgd,adam]
 *
 * Each backend runs in its own process (tfjs picks one backend per process). Per model (and
 * per BPR-MF batch kernel, `model.kernel`, and optimizer, `model.optimizer`):
 * seconds per epoch, samples/s and the approximate GFLOP/s those samples imply (forward +
 * backward of the batch math, counted analytically), then the seconds to rank every item
 * for every user. Data: the built-in synthetic log at that size (all of it as training
 * positives). Then the same positives through the bench-only references, when
 * `npm run bench:setup` installed them: PyTorch CPU NeuMF (bench/train/torch_neumf.py) and
 * the `implicit` library's BPR and ALS (bench/train/implicit_ref.py), with our/their
 * epoch-time ratios. Ends with one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSynthetic } from '../../lib/data/index.ts';
import { initBackend } from '../../lib/compute/backend.ts';
import { csrFromCoo, evaluateFullRankingAsync } from '../../lib/eval/index.ts';
import { trainRecommender } from '../../lib/models/index.ts';
import type { TrainConfig } from '../../lib/models/index.ts';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { writeCsrFile } from '../common/csr-file.ts';
import { sizeName, writeBenchResult } from '../common/results.ts';
import { trainConfigOf } from '../../lib/models/auto-family.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    items: { type: 'string', default: '10000' },
    interactions: { type: 'string', default: '1000000' },
    epochs: { type: 'string', default: '2' },
    backends: { type: 'string', default: 'wasm,cpu' },
    /** Which models to train (bpr, neumf, ials). */
    families: { type: 'string', default: 'bpr,neumf,ials' },
    /** BPR-MF's batch kernels to time (typed, tfjs); each is a row of its own. */
    'bpr-kernels': { type: 'string', default: 'simd,typed,tfjs' },
    /** BPR-MF's optimizers to time (sgd, adam); sgd runs on the simd and typed kernels only. */
    'bpr-optimizers': { type: 'string', default: 'sgd,adam' },
    quick: { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
  },
});
if (args.quick)
  Object.assign(args, { users: '3000', items: '1500', interactions: '150000', backends: 'wasm' });

/** Multiply-adds x 2 per sample, forward and backward (backward ~ 2x forward). */
function flopsPerSample(c: TrainConfig): number {
  const f = c.factors;
  if (c.family === 'bpr') return 3 * (2 * 2 * f); // x = <u, i - j>, then three gradient rows
  // Per row and side: a dot and an axpy for the residual and for each CG step.
  if (c.family === 'ials') return 2 * (1 + (c.cgSteps ?? 3)) * (2 * 2 * f);
  let mlp = 0;
  let fanIn = 2 * f;
  for (const size of c.mlpLayers) {
    mlp += 2 * fanIn * size;
    fanIn = size;
  }
  return 3 * (2 * f + mlp + 2 * (f + fanIn));
}

async function child() {
  const backend = await initBackend();
  const g = generateSynthetic({
    users: Number(args.users),
    items: Number(args.items),
    interactions: Number(args.interactions),
    seed: 1,
  });
  const t = g.table;
  const nUsers = g.users.size;
  const nItems = g.items.size;
  const set = {
    nUsers,
    nItems,
    n: t.n,
    user: t.user,
    item: t.item,
    label: new Uint8Array(t.n).fill(1),
    weight: new Float32Array(t.n).fill(1),
  };
  const train = csrFromCoo(t.user, t.item, t.n, nUsers);
  // Validation and test: one (arbitrary) item per user; the timings are the point here.
  const one = csrFromCoo(
    Int32Array.from({ length: nUsers }, (_, u) => u),
    Int32Array.from({ length: nUsers }, (_, u) => u % nItems),
    nUsers,
    nUsers,
  );
  const out: Record<string, unknown> = { backend: backend.name };
  const runs: { family: string; kernel: string; optimizer?: string }[] = args
    .families!.split(',')
    .flatMap((family) =>
      family === 'bpr'
        ? args['bpr-optimizers']!.split(',').flatMap((optimizer) =>
            args['bpr-kernels']!.split(',')
              .filter((kernel) => optimizer !== 'sgd' || kernel !== 'tfjs')
              .map((kernel) => ({ family, kernel, optimizer })),
          )
        : [{ family, kernel: 'auto', optimizer: family === 'ials' ? undefined : 'adam' }],
    );
  for (const { family, kernel, optimizer } of runs) {
    // Each optimizer at its default learning rate (sgd 0.05, Adam 0.005).
    const model = trainConfigOf(
      parsePipelineConfig({ model: { family, kernel, optimizer } }).model,
      1,
    );
    const epochs = Number(args.epochs);
    const config: TrainConfig = {
      ...model,
      epochs,
      evalEvery: epochs + 1,
      patience: 1000,
      seed: 1,
    };
    const r = await trainRecommender(set, { train, valid: one }, config);
    const perEpoch = r.history.reduce((s, h) => s + h.seconds, 0) / r.history.length;
    const samples = r.history[0]!.samples;
    const t0 = performance.now();
    await evaluateFullRankingAsync({ nUsers, nItems, train, test: one }, r.model, { ks: [10] });
    const evalSeconds = (performance.now() - t0) / 1000;
    r.model.dispose();
    const label = family === 'bpr' ? `bpr-${r.kernel}-${optimizer}` : family;
    out[label] = {
      epochSeconds: +perEpoch.toFixed(2),
      samplesPerSec: Math.round(samples / perEpoch),
      gflops: +((samples * flopsPerSample(config)) / perEpoch / 1e9).toFixed(2),
      evalSeconds: +evalSeconds.toFixed(1),
      evalUsersPerSec: Math.round(nUsers / evalSeconds),
    };
    process.stderr.write(
      `  [${backend.name}] ${label}: ${perEpoch.toFixed(2)} s/epoch, ${Math.round(samples / perEpoch)} samples/s, full ranking ${nUsers} x ${nItems}: ${evalSeconds.toFixed(1)} s\n`,
    );
  }
  console.log(JSON.stringify(out));
}

async function parent() {
  process.stderr.write(
    `training ${args.interactions} synthetic interactions (${args.users} users x ${args.items} items), ${args.epochs} epochs per model\n`,
  );
  const results: Record<string, unknown>[] = [];
  for (const backend of args.backends!.split(',')) {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', import.meta.filename, '--child', ...process.argv.slice(2)],
      {
        env: { ...process.env, TFJS_BACKEND: backend },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (r.status !== 0) throw new Error(`backend ${backend}: exit ${r.status}`);
    results.push(
      JSON.parse(r.stdout.toString().trim().split('\n').at(-1)!) as Record<string, unknown>,
    );
  }
  const refs = references();
  printTable(results, refs);
  const ours = results.find((r) => r.backend === 'wasm') ?? results[0]!;
  const ratio = (label: string, ref?: { secondsPerEpoch: number }) => {
    const m = ours[label] as { epochSeconds: number } | undefined;
    return ref && m ? +(m.epochSeconds / ref.secondsPerEpoch).toFixed(2) : null;
  };
  const summary = {
    results,
    references: refs,
    // What the pipeline runs by default on this backend (auto: simd on wasm and cpu, sgd),
    // and with `optimizer: adam`.
    bprVsImplicit: ratio(
      ['bpr-simd-sgd', 'bpr-typed-sgd'].find((k) => ours[k]) ?? 'bpr-simd-sgd',
      refs.implicitBpr,
    ),
    bprAdamVsImplicit: ratio(
      ['bpr-simd-adam', 'bpr-typed-adam', 'bpr-tfjs-adam'].find((k) => ours[k]) ?? 'bpr-simd-adam',
      refs.implicitBpr,
    ),
    neumfVsTorch: ratio('neumf', refs.torchNeumf),
    ialsVsImplicit: ratio('ials', refs.implicitAls),
  };
  process.stderr.write(
    `ours (${String(ours.backend)}) over the reference, epoch time: BPR vs implicit ${summary.bprVsImplicit ?? 'n/a'}x (adam: ${summary.bprAdamVsImplicit ?? 'n/a'}x), NeuMF vs PyTorch ${summary.neumfVsTorch ?? 'n/a'}x, iALS vs implicit ${summary.ialsVsImplicit ?? 'n/a'}x\n`,
  );
  // The name says what ran: the shape, the epochs, and every option left off its default.
  const optionNames = ['backends', 'families', 'bpr-kernels', 'bpr-optimizers'] as const;
  const defaults = {
    backends: 'wasm,cpu',
    families: 'bpr,neumf,ials',
    'bpr-kernels': 'simd,typed,tfjs',
    'bpr-optimizers': 'sgd,adam',
  };
  const variant = optionNames
    .filter((o) => args[o] !== defaults[o])
    .map((o) => args[o]!.replaceAll(',', '.'))
    .join('-');
  await writeBenchResult(
    `train-${args.users}x${args.items}-${sizeName(Number(args.interactions))}-${args.epochs}ep${variant ? `-${variant}` : ''}`,
    {
      users: Number(args.users),
      items: Number(args.items),
      interactions: Number(args.interactions),
      epochs: Number(args.epochs),
      ...Object.fromEntries(
        results.map((r) => [
          `backend ${String(r.backend)}`,
          Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'backend')),
        ]),
      ),
      'references (s/epoch)': Object.fromEntries(
        Object.entries(refs)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, v.secondsPerEpoch]),
      ),
      bprVsImplicit: summary.bprVsImplicit,
      bprAdamVsImplicit: summary.bprAdamVsImplicit,
      neumfVsTorch: summary.neumfVsTorch,
      ialsVsImplicit: summary.ialsVsImplicit,
    },
  );
  console.log(JSON.stringify(summary));
}

/** Result keys and their names in the table. */
const MODEL_LABELS = {
  'bpr-simd-sgd': 'BPR-MF (simd, sgd)',
  'bpr-typed-sgd': 'BPR-MF (typed, sgd)',
  'bpr-simd-adam': 'BPR-MF (simd, adam)',
  'bpr-typed-adam': 'BPR-MF (typed, adam)',
  'bpr-tfjs-adam': 'BPR-MF (tfjs, adam)',
  neumf: 'NeuMF',
  ials: 'iALS (cg)',
};

interface ModelFigures {
  epochSeconds: number;
  samplesPerSec: number;
  gflops: number;
  evalSeconds: number;
  evalUsersPerSec: number;
}

/** The human-readable summary: one row per backend and model, then the references. */
function printTable(results: Record<string, unknown>[], refs: ReturnType<typeof references>): void {
  const head = ['backend', 'model', 's/epoch', 'samples/s', 'GFLOP/s', 'full ranking s', 'users/s'];
  const rows: string[][] = [];
  for (const r of results)
    for (const [label, name] of Object.entries(MODEL_LABELS)) {
      const m = r[label] as ModelFigures | undefined;
      if (!m) continue;
      rows.push([
        String(r.backend),
        name,
        m.epochSeconds.toFixed(2),
        m.samplesPerSec.toLocaleString('en-US'),
        m.gflops.toFixed(2),
        m.evalSeconds.toFixed(1),
        m.evalUsersPerSec.toLocaleString('en-US'),
      ]);
    }
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((v, c) => (c < 2 ? v.padEnd(width[c]!) : v.padStart(width[c]!))).join('  ');
  console.log(
    `\nrecommender training: ${args.users} users x ${args.items} items, ${args.interactions} synthetic interactions, ${args.epochs} epochs; full ranking of every user x every item`,
  );
  console.log(line(head));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  if (refs.implicitBpr)
    console.log(`reference implicit BPR: ${refs.implicitBpr.secondsPerEpoch.toFixed(2)} s/epoch`);
  if (refs.torchNeumf)
    console.log(`reference PyTorch NeuMF: ${refs.torchNeumf.secondsPerEpoch.toFixed(2)} s/epoch`);
  if (refs.implicitAls)
    console.log(`reference implicit ALS: ${refs.implicitAls.secondsPerEpoch.toFixed(2)} s/epoch`);
}

/**
 * The same positives through the bench-only Python references (`npm run bench:setup`):
 * PyTorch CPU NeuMF and the `implicit` library's BPR and ALS. Skipped when the venv is
 * missing.
 */
function references(): {
  torchNeumf?: { secondsPerEpoch: number };
  implicitBpr?: { secondsPerEpoch: number };
  implicitAls?: { secondsPerEpoch: number };
} {
  const python = join(import.meta.dirname, '..', '..', '.venv-bench', 'bin', 'python');
  if (!existsSync(python)) {
    process.stderr.write('no .venv-bench (npm run bench:setup): references skipped\n');
    return {};
  }
  const g = generateSynthetic({
    users: Number(args.users),
    items: Number(args.items),
    interactions: Number(args.interactions),
    seed: 1,
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-train-'));
  const file = join(dir, 'positives.bin');
  writeCsrFile(
    file,
    g.users.size,
    g.items.size,
    csrFromCoo(g.table.user, g.table.item, g.table.n, g.users.size),
  );
  const { model } = parsePipelineConfig({ model: { family: 'neumf' } });
  const als = parsePipelineConfig({ model: { family: 'ials' } }).model;
  const run = (script: string, extra: string[]) => {
    const r = spawnSync(
      python,
      [
        join(import.meta.dirname, script),
        '--data',
        file,
        '--epochs',
        args.epochs!,
        '--threads',
        '2',
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (r.status !== 0) {
      process.stderr.write(`${script}: exit ${r.status}; skipped\n`);
      return undefined;
    }
    const out = JSON.parse(r.stdout.toString().trim().split('\n').at(-1)!) as {
      secondsPerEpoch: number;
    };
    process.stderr.write(`  ${script}: ${out.secondsPerEpoch.toFixed(2)} s/epoch\n`);
    return out;
  };
  const families = args.families!.split(',');
  try {
    return {
      torchNeumf: !families.includes('neumf')
        ? undefined
        : run('torch_neumf.py', [
            '--factors',
            String(model.factors),
            '--layers',
            model.mlpLayers.join(','),
            '--batch',
            String(model.batchSize),
            '--negatives',
            String(model.negatives),
            '--lr',
            String(model.learningRate),
          ]),
      implicitBpr: !families.includes('bpr')
        ? undefined
        : run('implicit_ref.py', ['--model', 'bpr', '--factors', String(model.factors)]),
      implicitAls: !families.includes('ials')
        ? undefined
        : run('implicit_ref.py', [
            '--model',
            'als',
            '--factors',
            String(als.factors),
            '--alpha',
            String(als.alpha),
            '--regularization',
            String(als.l2),
            '--cg-steps',
            String(als.cgSteps),
          ]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.child) await child();
else await parent();
