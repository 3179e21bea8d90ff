/**
 * BPR-MF training (Rendle et al. 2009) with TensorFlow.js computing the batch loss and its
 * gradients, and embedding gathers/scatters plus a lazy Adam in typed arrays: a batch costs
 * O(batch x dim), never O(catalog). Each epoch's randomness derives from (seed, epoch), so
 * a run resumed from a checkpoint repeats the uninterrupted run exactly.
 */
import { initBackend, tf } from '../compute/backend.ts';
import { Rng } from '../data/random.ts';
import { evaluateFullRankingAsync } from '../eval/full-ranking.ts';
import { BprMfModel } from './bpr-mf.ts';
import type { BprMfWeights } from './bpr-mf.ts';
import { LazyAdam, moments, sumRows } from './lazy-adam.ts';
import type { Moments } from './lazy-adam.ts';
import { packState, unpackState } from './train-state.ts';
import {
  EventLoopYielder,
  epochRng,
  finishEpoch,
  progressFromHeader,
  progressHeader,
} from './training-loop.ts';
import type { EarlyStopState } from './training-loop.ts';
import { TrainingPairs } from './training-pairs.ts';
import type {
  EpochLog,
  TrainConfig,
  TrainHooks,
  TrainResult,
  TrainingSet,
  ValidationData,
} from './types.ts';

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
  const state = hooks.resumeFrom
    ? restore(hooks.resumeFrom, set, config)
    : fresh(nUsers, nItems, dim, config);
  const { w, opt } = state;
  const B = config.batchSize;
  // Batch buffers, reused.
  const bu = new Int32Array(B);
  const bi = new Int32Array(B);
  const bj = new Int32Array(B);
  const bw = new Float32Array(B);
  const gather = (table: Float32Array, idx: Int32Array, n: number, out: Float32Array) => {
    for (let k = 0; k < n; k++)
      out.set(table.subarray(idx[k]! * dim, idx[k]! * dim + dim), k * dim);
  };
  const U = new Float32Array(B * dim);
  const I = new Float32Array(B * dim);
  const J = new Float32Array(B * dim);
  const Bi = new Float32Array(B);
  const Bj = new Float32Array(B);
  const slotU = new Int32Array(nUsers).fill(-1);
  const slotI = new Int32Array(nItems).fill(-1);
  const rows = new Int32Array(2 * B);
  const sum = new Float32Array(2 * B * dim);
  const idx2 = new Int32Array(2 * B);
  const grad2 = new Float32Array(2 * B * dim);
  /**
   * Loss and gradients of a batch, written out: tfjs-core's node build registers no
   * gradient functions (they ship only as ES modules, which would load a second copy of
   * the engine), and BPR's gradients are short. x = <u, i - j> + b_i - b_j; loss =
   * (-sum w log sigmoid(x) + l2 (|u|^2 + |i|^2 + |j|^2)) / n.
   */
  const lossAndGrads = (n: number) => {
    // tidy returns tensors only: walking a returned typed array costs one step per element.
    const out = tf.tidy(() => {
      const u = tf.tensor2d(U.subarray(0, n * dim), [n, dim]);
      const i = tf.tensor2d(I.subarray(0, n * dim), [n, dim]);
      const j = tf.tensor2d(J.subarray(0, n * dim), [n, dim]);
      const wt = tf.tensor1d(bw.subarray(0, n));
      const diff = tf.sub(i, j);
      const x = tf.add(
        tf.sum(tf.mul(u, diff), 1),
        tf.sub(tf.tensor1d(Bi.subarray(0, n)), tf.tensor1d(Bj.subarray(0, n))),
      );
      const reg = tf.add(tf.add(tf.sum(tf.square(u)), tf.sum(tf.square(i))), tf.sum(tf.square(j)));
      const loss = tf.div(tf.sub(tf.mul(config.l2, reg), tf.sum(tf.mul(wt, tf.logSigmoid(x)))), n);
      // d loss / d x = -w sigmoid(-x) / n
      const s = tf.div(tf.mul(wt, tf.sigmoid(tf.neg(x))), n);
      const s2 = tf.expandDims(s, 1);
      const decay = (2 * config.l2) / n;
      return [
        tf.sub(tf.mul(decay, u), tf.mul(s2, diff)),
        tf.sub(tf.mul(decay, i), tf.mul(s2, u)),
        tf.add(tf.mul(decay, j), tf.mul(s2, u)),
        tf.neg(s),
        s,
        loss,
      ];
    });
    const data = out.map((t) => t.dataSync() as Float32Array);
    tf.dispose(out);
    return [data[0]!, data[1]!, data[2]!, data[3]!, data[4]!, data[5]![0]!] as const;
  };

  const yielder = new EventLoopYielder();
  let stoppedEarly = false;
  for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
    const t0 = Date.now();
    const rng = epochRng(config.seed, epoch);
    const order = pairs.shuffledPositives(rng);
    let lossSum = 0;
    let samples = 0;
    const total = order.length * config.negatives;
    for (let start = 0; start < total; start += B) {
      hooks.signal?.throwIfAborted();
      const n = Math.min(B, total - start);
      for (let k = 0; k < n; k++) {
        const row = order[(start + k) % order.length]!;
        const u = set.user[row]!;
        bu[k] = u;
        bi[k] = set.item[row]!;
        bj[k] = pairs.negative(u, rng);
        bw[k] = set.weight[row]!;
      }
      gather(w.users, bu, n, U);
      gather(w.items, bi, n, I);
      gather(w.items, bj, n, J);
      for (let k = 0; k < n; k++) {
        Bi[k] = w.itemBias[bi[k]!]!;
        Bj[k] = w.itemBias[bj[k]!]!;
      }
      const [gu, gi, gj, gbi, gbj, loss] = lossAndGrads(n);
      lossSum += loss * n;
      samples += n;
      // Scatter: users, then positive and negative items together (an item may be both).
      const rate = opt.adam.begin();
      let c = sumRows(bu, gu, n, dim, slotU, rows, sum);
      opt.adam.apply(opt.users, w.users, rows, c, sum, dim, rate);
      idx2.set(bi.subarray(0, n), 0);
      idx2.set(bj.subarray(0, n), n);
      grad2.set(gi.subarray(0, n * dim), 0);
      grad2.set(gj.subarray(0, n * dim), n * dim);
      c = sumRows(idx2, grad2, 2 * n, dim, slotI, rows, sum);
      opt.adam.apply(opt.items, w.items, rows, c, sum, dim, rate);
      grad2.set(gbi.subarray(0, n), 0);
      grad2.set(gbj.subarray(0, n), n);
      c = sumRows(idx2, grad2, 2 * n, 1, slotI, rows, sum);
      opt.adam.apply(opt.bias, w.itemBias, rows, c, sum, 1, rate);
      await yielder.maybeYield();
    }
    const log: EpochLog = {
      epoch,
      loss: lossSum / Math.max(samples, 1),
      samples,
      seconds: (Date.now() - t0) / 1000,
    };
    const stop = await finishEpoch(state, log, config, hooks, {
      validate: () => validNdcg10(w, validation, hooks.signal),
      snapshot: () => copyWeights(w),
      serialize: () => serialize(state),
    });
    if (stop) {
      stoppedEarly = epoch < config.epochs;
      break;
    }
  }
  return {
    model: new BprMfModel(state.best ?? copyWeights(w)),
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValidNdcg10: state.bestScore,
    stoppedEarly,
    backend: info.name,
  };
}

interface TrainState extends EarlyStopState<BprMfWeights> {
  w: BprMfWeights;
  opt: Optimizer;
}

function fresh(nUsers: number, nItems: number, dim: number, config: TrainConfig): TrainState {
  const rng = new Rng(config.seed);
  const init = (n: number) => {
    const a = new Float32Array(n);
    for (let k = 0; k < n; k++) a[k] = 0.1 * rng.normal();
    return a;
  };
  const w: BprMfWeights = {
    nUsers,
    nItems,
    dim,
    users: init(nUsers * dim),
    items: init(nItems * dim),
    itemBias: new Float32Array(nItems),
  };
  return {
    epoch: 0,
    w,
    opt: optimizers(w, config.learningRate),
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

function optimizers(w: BprMfWeights, lr: number): Optimizer {
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

async function validNdcg10(
  w: BprMfWeights,
  v: ValidationData,
  signal?: AbortSignal,
): Promise<number> {
  const result = await evaluateFullRankingAsync(
    { nUsers: w.nUsers, nItems: w.nItems, train: v.train, test: v.valid },
    new BprMfModel(w),
    { ks: [10], excludeValid: false, signal },
  );
  return result.summary.overall['ndcg@10'] ?? 0;
}

function serialize(s: TrainState): Uint8Array {
  const arrays: Record<string, Float32Array> = {
    users: s.w.users,
    items: s.w.items,
    itemBias: s.w.itemBias,
  };
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
      step: s.opt.adam.step,
      ...progressHeader(s),
    },
    arrays,
  );
}

function restore(bytes: Uint8Array, set: TrainingSet, config: TrainConfig): TrainState {
  const { header: h, arrays: a } = unpackState(bytes);
  if (
    h.family !== 'bpr' ||
    h.nUsers !== set.nUsers ||
    h.nItems !== set.nItems ||
    h.dim !== config.factors
  )
    throw new Error(
      `checkpoint does not match this training (${String(h.family)} ${String(h.nUsers)}x${String(h.nItems)} dim ${String(h.dim)})`,
    );
  const w: BprMfWeights = {
    nUsers: set.nUsers,
    nItems: set.nItems,
    dim: config.factors,
    users: a.users!,
    items: a.items!,
    itemBias: a.itemBias!,
  };
  const opt = optimizers(w, config.learningRate);
  for (const k of TABLES) {
    opt[k].m.set(a[`${k}.m`]!);
    opt[k].v.set(a[`${k}.v`]!);
  }
  opt.adam.step = h.step as number;
  return {
    ...progressFromHeader(h),
    w,
    opt,
    best: a['best.users']
      ? { ...w, users: a['best.users'], items: a['best.items']!, itemBias: a['best.itemBias']! }
      : undefined,
  };
}
