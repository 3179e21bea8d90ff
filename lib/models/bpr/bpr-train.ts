/**
 * BPR-MF training (Rendle et al. 2009): the batch loss and its gradients come from a kernel
 * (typed-array loops on CPU backends, TensorFlow.js ops on native ones; bpr-kernel.ts), and
 * embedding gathers/scatters plus a lazy Adam run in typed arrays: a batch costs
 * O(batch x dim), never O(catalog). `optimizer: sgd` instead steps each sample's rows in
 * turn (plain SGD, as the `implicit` library does), with no optimizer state; on the simd
 * kernel it runs on `model.threads` threads (bpr-threads.ts) when that resolves to more than
 * one. Each epoch's randomness derives from (seed, epoch) (and the thread, with threads), so
 * a run resumed from a checkpoint repeats the uninterrupted run exactly.
 */
import { initBackend } from '../../compute/backend.ts';
import { Rng } from '../../training/random.ts';
import { BprMfModel } from './bpr-mf.ts';
import { BprBatch, bprArenaBytes, createBprKernel } from './bpr-kernel.ts';
import type { BprShape } from './bpr-kernel.ts';
import { MAX_BYTES } from '../../compute/wasm-writer.ts';
import { allocCopy } from '../../compute/arena.ts';
import type { Allocator } from '../../compute/arena.ts';
import type { BprMfWeights } from './bpr-mf.ts';
import { LazyAdam } from '../../training/adam.ts';
import type { Moments } from '../../training/adam.ts';
import { packState, unpackState } from '../../training/train-state.ts';
import { openEpochSampler } from './epoch-sampler.ts';
import type { EpochSampler } from './epoch-sampler.ts';
import { BprThreads, bprThreadArrays, maxBprThreads, planBprThreads } from './bpr-threads.ts';
import { resolveThreads } from '../../compute/thread-pool.ts';
import type { WasmArena } from '../../compute/arena.ts';
import { EventLoopYielder } from '../../training/training-loop.ts';
import { finishEpoch, progressFromHeader, progressHeader } from '../../training/early-stopping.ts';
import { validationNdcg10 } from '../validation-score.ts';
import type { EarlyStopState } from '../../training/early-stopping.ts';
import { TrainingPairs } from '../training-pairs.ts';
import type {
  EpochLog,
  TrainConfig,
  TrainHooks,
  TrainResult,
  TrainingSet,
  ValidationData,
} from '../types.ts';

export async function trainBpr(
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const info = await initBackend();
  const pairs = new TrainingPairs(set);
  const { nUsers, nItems } = set;
  const dim = config.factors;
  const optimizer = config.optimizer ?? 'adam';
  // Plain SGD splits over threads; Adam's batches stay on this thread.
  const samplesPerEpoch = pairs.positives.length * config.negatives;
  const resolved = optimizer === 'sgd' ? resolveThreads(config.threads, samplesPerEpoch) : 1;
  const wanted = resolved > 1 ? Math.min(resolved, maxBprThreads(set)) : 1;
  const shape: BprShape = { nUsers, nItems, dim, maxBatch: config.batchSize, optimizer };
  const planned = wanted > 1 ? planBprThreads(set, wanted, config.negatives) : undefined;
  const threaded = planned && { ...shape, shared: true, threadArrays: bprThreadArrays(planned) };
  // The threads' sample columns live in the wasm memory too: one thread where they do not fit.
  const fits = threaded && bprArenaBytes(threaded) <= MAX_BYTES ? threaded : undefined;
  const plan = fits && planned;
  const kernel = createBprKernel(config.kernel ?? 'auto', info.name, fits ?? shape);
  // The typed kernel's loops stay on this thread.
  const threads = plan && kernel.name === 'simd' ? plan.threads : 1;
  // The weights and moments live where the kernel reads them (a wasm memory for simd).
  const state = hooks.resumeFrom
    ? restore(hooks.resumeFrom, set, config, kernel.alloc)
    : fresh(nUsers, nItems, dim, config, kernel.alloc);
  const { w, opt } = state;
  const batch = new BprBatch(config.batchSize, dim, nUsers, nItems, kernel.alloc);

  const yielder = new EventLoopYielder();
  let stoppedEarly = false;
  let sampler: EpochSampler | undefined;
  let pool: BprThreads | undefined;
  try {
    if (plan && threads > 1)
      pool = await BprThreads.start(
        plan,
        kernel.alloc as WasmArena,
        w,
        { seed: config.seed, negatives: config.negatives, lr: config.learningRate, l2: config.l2 },
        hooks.signal,
      );
    else sampler = openEpochSampler(pairs, config.seed, config.negatives, hooks.sampleThread);
    for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
      const t0 = Date.now();
      const { loss, samples } = pool
        ? await pool.epoch(epoch, hooks.signal)
        : await oneThreadEpoch(epoch);
      const log: EpochLog = { epoch, loss, samples, seconds: (Date.now() - t0) / 1000 };
      const stop = await finishEpoch(state, log, config, hooks, {
        validate: () => validationNdcg10(new BprMfModel(w), validation, hooks.signal),
        snapshot: () => copyWeights(w),
        serialize: () => serialize(state),
      });
      if (stop) {
        stoppedEarly = epoch < config.epochs;
        break;
      }
    }
  } finally {
    await Promise.all([sampler?.close(), pool?.close()]);
  }
  return {
    model: new BprMfModel(state.best ?? copyWeights(w)),
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValidNdcg10: state.bestScore,
    stoppedEarly,
    backend: info.name,
    kernel: kernel.name,
    threads,
  };

  /** An epoch's batches on this thread; the mean loss and the samples. */
  async function oneThreadEpoch(epoch: number): Promise<{ loss: number; samples: number }> {
    const drawn = await sampler!.epoch(epoch, epoch < config.epochs ? epoch + 1 : undefined);
    let lossSum = 0;
    let samples = 0;
    const total = drawn.n;
    for (let start = 0; start < total; start += config.batchSize) {
      hooks.signal?.throwIfAborted();
      const n = Math.min(config.batchSize, total - start);
      const end = start + n;
      batch.user.set(drawn.user.subarray(start, end));
      batch.pos.set(drawn.pos.subarray(start, end));
      batch.neg.set(drawn.neg.subarray(start, end));
      batch.weight.set(drawn.weight.subarray(start, end));
      batch.n = n;
      samples += n;
      if (opt) {
        batch.index(n);
        lossSum += kernel.gradients(batch, w, config.l2) * n;
        // One lazy Adam step over the distinct rows the batch touched.
        const { adam } = opt;
        const rate = adam.begin();
        const { userRows, itemRows, nUserRows, nItemRows } = batch;
        kernel.adam(adam, opt.users, w.users, userRows, nUserRows, batch.gUser, dim, rate);
        kernel.adam(adam, opt.items, w.items, itemRows, nItemRows, batch.gItem, dim, rate);
        kernel.adam(adam, opt.bias, w.itemBias, itemRows, nItemRows, batch.gBias, 1, rate);
      } else lossSum += kernel.sgd(batch, w, config.learningRate, config.l2) * n;
      await yielder.maybeYield();
    }
    return { loss: lossSum / Math.max(samples, 1), samples };
  }
}

interface TrainState extends EarlyStopState<BprMfWeights> {
  w: BprMfWeights;
  /** Absent with `model.optimizer: sgd`, which keeps no state besides the weights. */
  opt?: Optimizer;
}

function fresh(
  nUsers: number,
  nItems: number,
  dim: number,
  config: TrainConfig,
  alloc: Allocator,
): TrainState {
  const rng = new Rng(config.seed);
  const init = (n: number) => {
    const a = alloc.floats(n);
    for (let k = 0; k < n; k++) a[k] = 0.1 * rng.normal();
    return a;
  };
  const w: BprMfWeights = {
    nUsers,
    nItems,
    dim,
    users: init(nUsers * dim),
    items: init(nItems * dim),
    itemBias: alloc.floats(nItems),
  };
  return {
    epoch: 0,
    w,
    opt: config.optimizer === 'sgd' ? undefined : optimizers(w, config.learningRate, alloc),
    bestScore: -1,
    bestEpoch: 0,
    bad: 0,
    history: [],
  };
}

/** One lazy Adam and the moments of each table it updates. */
interface Optimizer {
  adam: LazyAdam;
  users: Moments;
  items: Moments;
  bias: Moments;
}

const TABLES = ['users', 'items', 'bias'] as const;

function optimizers(w: BprMfWeights, lr: number, alloc: Allocator): Optimizer {
  const moments = (n: number): Moments => ({ m: alloc.floats(n), v: alloc.floats(n) });
  return {
    adam: new LazyAdam(lr),
    users: moments(w.users.length),
    items: moments(w.items.length),
    bias: moments(w.itemBias.length),
  };
}

function copyWeights(w: BprMfWeights): BprMfWeights {
  return { ...w, users: w.users.slice(), items: w.items.slice(), itemBias: w.itemBias.slice() };
}

function serialize(s: TrainState): Uint8Array {
  const arrays: Record<string, Float32Array> = {
    users: s.w.users,
    items: s.w.items,
    itemBias: s.w.itemBias,
  };
  if (s.opt)
    for (const k of TABLES) {
      arrays[`${k}.m`] = s.opt[k].m;
      arrays[`${k}.v`] = s.opt[k].v;
    }
  if (s.best) {
    arrays['best.users'] = s.best.users;
    arrays['best.items'] = s.best.items;
    arrays['best.itemBias'] = s.best.itemBias;
  }
  return packState(
    {
      family: 'bpr',
      nUsers: s.w.nUsers,
      nItems: s.w.nItems,
      dim: s.w.dim,
      optimizer: s.opt ? 'adam' : 'sgd',
      step: s.opt?.adam.step ?? 0,
      ...progressHeader(s),
    },
    arrays,
  );
}

function restore(
  bytes: Uint8Array,
  set: TrainingSet,
  config: TrainConfig,
  alloc: Allocator,
): TrainState {
  const { header: h, arrays: a } = unpackState(bytes);
  // Checkpoints from before the optimizer setting are Adam's.
  const optimizer = (h.optimizer as string | undefined) ?? 'adam';
  if (
    h.family !== 'bpr' ||
    h.nUsers !== set.nUsers ||
    h.nItems !== set.nItems ||
    h.dim !== config.factors ||
    optimizer !== (config.optimizer ?? 'adam')
  )
    throw new Error(
      `checkpoint does not match this training (${String(h.family)} ${String(h.nUsers)}x${String(h.nItems)} dim ${String(h.dim)}, optimizer ${optimizer})`,
    );
  const w: BprMfWeights = {
    nUsers: set.nUsers,
    nItems: set.nItems,
    dim: config.factors,
    users: allocCopy(alloc, a.users!),
    items: allocCopy(alloc, a.items!),
    itemBias: allocCopy(alloc, a.itemBias!),
  };
  const opt = optimizer === 'sgd' ? undefined : optimizers(w, config.learningRate, alloc);
  if (opt) {
    for (const k of TABLES) {
      opt[k].m.set(a[`${k}.m`]!);
      opt[k].v.set(a[`${k}.v`]!);
    }
    opt.adam.step = h.step as number;
  }
  return {
    ...progressFromHeader(h),
    w,
    opt,
    best: a['best.users']
      ? { ...w, users: a['best.users'], items: a['best.items']!, itemBias: a['best.itemBias']! }
      : undefined,
  };
}
