/**
 * Recommender training speed per model and tfjs backend, and full-ranking evaluation speed
 * of each trained model (run by hand):
 *
 *   npx tsx bench/train/run.ts [--users 10000] [--items 10000] [--interactions 1000000]
 *                              [--epochs 2] [--backends wasm,cpu] [--quick] [--runs 3]
 *                              [--threads 0] [--families bpr,neumf,ials]
 *                              [--bpr-kernels simd,typed,tfjs] [--bpr-optimizers sgd,adam]
 *
 * Each backend runs in its own process (tfjs picks one backend per process). Per model (and
 * per BPR-MF batch kernel, `model.kernel`, and optimizer, `model.optimizer`):
 * seconds per epoch, samples/s and the approximate GFLOP/s those samples imply (forward +
 * backward of the batch math, counted analytically), then the seconds to rank every item
 * for every user. Data: the built-in synthetic log at that size (all of it as training
 * positives). Then the same positives through the bench-only references, when
 * `npm run bench:setup` installed them: PyTorch CPU NeuMF (bench/train/torch_neumf.py) and
 * the `implicit` library's BPR and ALS (bench/train/implicit_ref.py), on as many threads as
 * ours (`--threads`, `model.threads`: 0 = one per core).
 *
 * The whole round (every backend, then every reference) repeats `--runs` times, so ours and
 * the references alternate on the same machine state; each figure is the median of the runs,
 * with the min and max beside it, and the ratios are our median epoch time over the
 * reference's. Ends with one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
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
    /** Rounds of every backend and reference, interleaved; figures are their medians. */
    runs: { type: 'string', default: '3' },
    /** `model.threads` for ours, and the references' thread count (0: one per core). */
    threads: { type: 'string', default: '0' },
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
      parsePipelineConfig({ model: { family, kernel, optimizer, threads: Number(args.threads) } })
        .model,
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
      threads: r.threads ?? 1,
      epochSeconds: +perEpoch.toFixed(3),
      samplesPerSec: Math.round(samples / perEpoch),
      gflops: +((samples * flopsPerSample(config)) / perEpoch / 1e9).toFixed(2),
      evalSeconds: +evalSeconds.toFixed(1),
      evalUsersPerSec: Math.round(nUsers / evalSeconds),
    };
    process.stderr.write(
      `  [${backend.name}] ${label} (${r.threads ?? 1} threads): ${perEpoch.toFixed(2)} s/epoch, ${Math.round(samples / perEpoch)} samples/s, full ranking ${nUsers} x ${nItems}: ${evalSeconds.toFixed(1)} s\n`,
    );
  }
  console.log(JSON.stringify(out));
}

async function parent() {
  const runs = Math.max(1, Number(args.runs));
  process.stderr.write(
    `training ${args.interactions} synthetic interactions (${args.users} users x ${args.items} items), ${args.epochs} epochs per model, ${runs} interleaved runs\n`,
  );
  const refs = openReferences();
  const perRun: Record<string, unknown>[][] = [];
  const refRuns: References[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      process.stderr.write(`run ${run} of ${runs}\n`);
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
      perRun.push(results);
      refRuns.push(refs.run());
    }
  } finally {
    refs.close();
  }
  const results = perRun[0]!.map((first, b) =>
    medianResult(
      perRun.map((r) => r[b]!),
      first,
    ),
  );
  const references = medianReferences(refRuns);
  printTable(results, references);
  const ours = results.find((r) => r.backend === 'wasm') ?? results[0]!;
  const ratio = (label: string, ref?: Spread) => {
    const m = ours[label] as ModelFigures | undefined;
    return ref && m ? +(m.epochSeconds / ref.median).toFixed(2) : null;
  };
  const bprLabel = ['bpr-simd-sgd', 'bpr-typed-sgd'].find((k) => ours[k]) ?? 'bpr-simd-sgd';
  const bprAdamLabel =
    ['bpr-simd-adam', 'bpr-typed-adam', 'bpr-tfjs-adam'].find((k) => ours[k]) ?? 'bpr-simd-adam';
  const summary = {
    results,
    references,
    // What the pipeline runs by default on this backend (auto: simd on wasm and cpu, sgd),
    // and with `optimizer: adam`.
    bprVsImplicit: ratio(bprLabel, references.implicitBpr),
    bprAdamVsImplicit: ratio(bprAdamLabel, references.implicitBpr),
    neumfVsTorch: ratio('neumf', references.torchNeumf),
    ialsVsImplicit: ratio('ials', references.implicitAls),
  };
  process.stderr.write(
    `ours (${String(ours.backend)}) over the reference, median epoch time of ${runs} runs: BPR vs implicit ${summary.bprVsImplicit ?? 'n/a'}x (adam: ${summary.bprAdamVsImplicit ?? 'n/a'}x), NeuMF vs PyTorch ${summary.neumfVsTorch ?? 'n/a'}x, iALS vs implicit ${summary.ialsVsImplicit ?? 'n/a'}x\n`,
  );
  // The name says what ran: the shape, the epochs, and every option left off its default.
  const optionNames = ['backends', 'families', 'bpr-kernels', 'bpr-optimizers'] as const;
  const defaults = {
    backends: 'wasm,cpu',
    families: 'bpr,neumf,ials',
    'bpr-kernels': 'simd,typed,tfjs',
    'bpr-optimizers': 'sgd,adam',
  };
  const variant = [
    ...optionNames.filter((o) => args[o] !== defaults[o]).map((o) => args[o]!.replaceAll(',', '.')),
    ...(args.threads !== '0' ? [`${args.threads}t`] : []),
  ].join('-');
  await writeBenchResult(
    `train-${args.users}x${args.items}-${sizeName(Number(args.interactions))}-${args.epochs}ep${variant ? `-${variant}` : ''}`,
    {
      users: Number(args.users),
      items: Number(args.items),
      interactions: Number(args.interactions),
      epochs: Number(args.epochs),
      runs,
      referenceThreads: refs.threads,
      ...Object.fromEntries(
        results.map((r) => [
          `backend ${String(r.backend)} (medians; min and max of ${runs} runs)`,
          Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'backend')),
        ]),
      ),
      'references (s/epoch)': Object.fromEntries(
        Object.entries(references).filter(([, v]) => v !== undefined),
      ),
      bprVsImplicit: summary.bprVsImplicit,
      bprAdamVsImplicit: summary.bprAdamVsImplicit,
      neumfVsTorch: summary.neumfVsTorch,
      ialsVsImplicit: summary.ialsVsImplicit,
    },
  );
  console.log(JSON.stringify(summary));
}

/** The median of a run's figures, with the min and max of the epoch time. */
interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)! };
}

/** One backend's figures over the runs: per model, medians (epoch time with its min and max). */
function medianResult(
  runs: Record<string, unknown>[],
  first: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { backend: first.backend };
  for (const label of Object.keys(first)) {
    if (label === 'backend') continue;
    const figures = runs.map((r) => r[label] as ModelFigures);
    const med = (k: keyof ModelFigures) => spread(figures.map((f) => f[k])).median;
    const epoch = spread(figures.map((f) => f.epochSeconds));
    out[label] = {
      threads: figures[0]!.threads,
      epochSeconds: +epoch.median.toFixed(3),
      epochSecondsMin: +epoch.min.toFixed(3),
      epochSecondsMax: +epoch.max.toFixed(3),
      samplesPerSec: Math.round(med('samplesPerSec')),
      gflops: +med('gflops').toFixed(2),
      evalSeconds: +med('evalSeconds').toFixed(1),
      evalUsersPerSec: Math.round(med('evalUsersPerSec')),
    };
  }
  return out;
}

type References = Partial<Record<'torchNeumf' | 'implicitBpr' | 'implicitAls', number>>;

function medianReferences(runs: References[]): Partial<Record<keyof References, Spread>> {
  const out: Partial<Record<keyof References, Spread>> = {};
  for (const k of ['torchNeumf', 'implicitBpr', 'implicitAls'] as const) {
    const xs = runs.map((r) => r[k]).filter((x): x is number => x !== undefined);
    if (xs.length) out[k] = spread(xs);
  }
  return out;
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
  threads: number;
  epochSeconds: number;
  epochSecondsMin: number;
  epochSecondsMax: number;
  samplesPerSec: number;
  gflops: number;
  evalSeconds: number;
  evalUsersPerSec: number;
}

/** The human-readable summary: one row per backend and model, then the references. */
function printTable(
  results: Record<string, unknown>[],
  refs: Partial<Record<keyof References, Spread>>,
): void {
  const head = [
    'backend',
    'model',
    'threads',
    's/epoch',
    'min',
    'max',
    'samples/s',
    'GFLOP/s',
    'full ranking s',
    'users/s',
  ];
  const rows: string[][] = [];
  for (const r of results)
    for (const [label, name] of Object.entries(MODEL_LABELS)) {
      const m = r[label] as ModelFigures | undefined;
      if (!m) continue;
      rows.push([
        String(r.backend),
        name,
        String(m.threads),
        m.epochSeconds.toFixed(3),
        m.epochSecondsMin.toFixed(3),
        m.epochSecondsMax.toFixed(3),
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
    `\nrecommender training: ${args.users} users x ${args.items} items, ${args.interactions} synthetic interactions, ${args.epochs} epochs; medians of ${args.runs} runs; full ranking of every user x every item`,
  );
  console.log(line(head));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  const names = {
    implicitBpr: 'implicit BPR',
    torchNeumf: 'PyTorch NeuMF',
    implicitAls: 'implicit ALS',
  } as const;
  for (const [k, name] of Object.entries(names)) {
    const s = refs[k as keyof References];
    if (s)
      console.log(
        `reference ${name}: ${s.median.toFixed(3)} s/epoch (min ${s.min.toFixed(3)}, max ${s.max.toFixed(3)})`,
      );
  }
}

/**
 * The same positives through the bench-only Python references (`npm run bench:setup`):
 * PyTorch CPU NeuMF and the `implicit` library's BPR and ALS, on `threads` threads. The data
 * file is written once; `run` times each reference once. Skipped when the venv is missing.
 */
function openReferences(): { threads: number; run(): References; close(): void } {
  const threads = Number(args.threads) > 0 ? Number(args.threads) : availableParallelism();
  const python = join(import.meta.dirname, '..', '..', '.venv-bench', 'bin', 'python');
  if (!existsSync(python)) {
    process.stderr.write('no .venv-bench (npm run bench:setup): references skipped\n');
    return { threads, run: () => ({}), close: () => undefined };
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
  const time = (script: string, extra: string[]) => {
    const r = spawnSync(
      python,
      [
        join(import.meta.dirname, script),
        '--data',
        file,
        '--epochs',
        args.epochs!,
        '--threads',
        String(threads),
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
    process.stderr.write(
      `  ${script} (${threads} threads): ${out.secondsPerEpoch.toFixed(2)} s/epoch\n`,
    );
    return out.secondsPerEpoch;
  };
  const families = args.families!.split(',');
  return {
    threads,
    run: () => ({
      torchNeumf: !families.includes('neumf')
        ? undefined
        : time('torch_neumf.py', [
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
        : time('implicit_ref.py', ['--model', 'bpr', '--factors', String(model.factors)]),
      implicitAls: !families.includes('ials')
        ? undefined
        : time('implicit_ref.py', [
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
    }),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

if (args.child) await child();
else await parent();
