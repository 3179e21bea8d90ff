/**
 * NeuMF training: pointwise weighted log loss over each positive and `negatives` sampled
 * negatives per epoch (the paper's setup), plus the set's explicit negatives (label 0) with
 * target 0 and their own weight. The batch math with the backward pass written out
 * (tfjs-core's Node build registers no gradients; see bpr-train.ts) runs as WebAssembly SIMD
 * (neumf-kernel.ts, ~3x faster on CPU) or as TensorFlow.js ops (neumfBatchGrads, the
 * fallback and the native backends' path). A lazy Adam updates the embedding rows a batch
 * touches, the same Adam every row of the dense layers. Each epoch's randomness derives
 * from (seed, epoch), so a run resumed from a checkpoint repeats the uninterrupted one
 * exactly.
 */
import { initBackend, tf } from '../../compute/backend.ts';
import { Rng } from '../../training/random.ts';
import { LazyAdam, sumRows } from '../../training/adam.ts';
import { SimdAdam, simdAdamAvailable } from '../../training/adam-simd.ts';
import { WasmArena, allocCopy, arenaBytes, heapAllocator } from '../../compute/arena.ts';
import type { Allocator } from '../../compute/arena.ts';
import { MAX_BYTES } from '../../compute/wasm-writer.ts';
import type { Moments } from '../../training/adam.ts';
import { NeuMfSimdKernel, neumfSimdAvailable } from './neumf-kernel.ts';
import { NeuMfModel } from './neumf.ts';
import { EMBEDDINGS, copyNeuMf, initNeuMf, tableShapes } from './neumf-weights.ts';
import type { NeuMfShape, NeuMfWeights } from './neumf-weights.ts';
import { packState, unpackState } from '../../training/train-state.ts';
import { EventLoopYielder, epochRng, shuffled } from '../../training/training-loop.ts';
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

/** One batch of samples: users, items, targets (1 or 0) and loss weights. */
export interface NeuMfBatch {
  n: number;
  user: Int32Array;
  item: Int32Array;
  target: Float32Array;
  weight: Float32Array;
}

/**
 * Loss and gradients of one batch. Embedding gradients are per sample (n x factors, to be
 * summed per row by the caller); dense gradients are whole tables. loss = (sum w
 * (softplus(x) - y x) + l2 |embeddings of the batch|^2) / n.
 */
export function neumfBatchGrads(
  w: NeuMfWeights,
  b: NeuMfBatch,
  l2: number,
): { loss: number; grads: Record<string, Float32Array> } {
  const { n } = b;
  const f = w.factors;
  const L = w.layers.length;
  const shapes = new Map(tableShapes(w).map(([name, r, c]) => [name, [r, c] as const]));
  const gather = (table: string, ids: Int32Array) => {
    const src = w.tables[table]!;
    const out = new Float32Array(n * f);
    for (let k = 0; k < n; k++) out.set(src.subarray(ids[k]! * f, ids[k]! * f + f), k * f);
    return tf.tensor2d(out, [n, f]);
  };
  const dense = (name: string) => {
    const [r, c] = shapes.get(name)!;
    return tf.tensor2d(w.tables[name]!, [r, c]);
  };
  const names: string[] = [];
  const out = tf.tidy(() => {
    const ug = gather('userGmf', b.user);
    const ig = gather('itemGmf', b.item);
    const um = gather('userMlp', b.user);
    const im = gather('itemMlp', b.item);
    const y = tf.tensor1d(b.target.subarray(0, n));
    const wt = tf.tensor1d(b.weight.subarray(0, n));
    // Forward, keeping each layer's input and pre-activation for the backward pass.
    const gmf = tf.mul(ug, ig);
    const zs: tf.Tensor2D[] = [tf.concat([um, im], 1)];
    const us: tf.Tensor2D[] = [];
    for (let l = 1; l <= L; l++) {
      const u = tf.add(tf.matMul(zs[l - 1]!, dense(`w${l}`)), dense(`b${l}`)) as tf.Tensor2D;
      us.push(u);
      zs.push(tf.relu(u));
    }
    const feat = tf.concat([gmf, zs[L]!], 1);
    const h = dense('h');
    const x = tf.add(tf.reshape(tf.matMul(feat, h), [n]), tf.reshape(dense('h0'), [1]));
    const reg = [ug, ig, um, im].map((t) => tf.sum(tf.square(t))).reduce((a, c) => tf.add(a, c));
    const loss = tf.div(
      tf.add(tf.sum(tf.mul(wt, tf.sub(tf.softplus(x), tf.mul(y, x)))), tf.mul(l2, reg)),
      n,
    );
    // Backward. d loss / d x = w (sigmoid(x) - y) / n.
    const dx = tf.div(tf.mul(wt, tf.sub(tf.sigmoid(x), y)), n);
    const dx2 = tf.expandDims(dx, 1) as tf.Tensor2D;
    const dfeat = tf.matMul(dx2, tf.transpose(h));
    const hL = w.layers[L - 1]!;
    const dgmf = tf.slice(dfeat, [0, 0], [n, f]);
    let dz = tf.slice(dfeat, [0, f], [n, hL]) as tf.Tensor2D;
    const decay = (2 * l2) / n;
    const grads: Record<string, tf.Tensor> = {
      h: tf.matMul(tf.transpose(feat), dx2),
      h0: tf.reshape(tf.sum(dx), [1, 1]),
      userGmf: tf.add(tf.mul(dgmf, ig), tf.mul(decay, ug)),
      itemGmf: tf.add(tf.mul(dgmf, ug), tf.mul(decay, ig)),
    };
    for (let l = L; l >= 1; l--) {
      const du = tf.mul(dz, tf.cast(tf.greater(us[l - 1]!, 0), 'float32')) as tf.Tensor2D;
      grads[`w${l}`] = tf.matMul(tf.transpose(zs[l - 1]!), du);
      grads[`b${l}`] = tf.sum(du, 0, true);
      dz = tf.matMul(du, tf.transpose(dense(`w${l}`)));
    }
    grads.userMlp = tf.add(tf.slice(dz, [0, 0], [n, f]), tf.mul(decay, um));
    grads.itemMlp = tf.add(tf.slice(dz, [0, f], [n, f]), tf.mul(decay, im));
    for (const k of Object.keys(grads)) names.push(k);
    return [loss, ...names.map((k) => grads[k]!)];
  });
  const data = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  return {
    loss: data[0]![0]!,
    grads: Object.fromEntries(names.map((k, i) => [k, data[i + 1]!])),
  };
}

export async function trainNeuMf(
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const info = await initBackend();
  const pairs = new TrainingPairs(set);
  const shape = {
    nUsers: set.nUsers,
    nItems: set.nItems,
    factors: config.factors,
    layers: config.mlpLayers,
  };
  const f = config.factors;
  const B = config.batchSize;
  const setting = config.kernel ?? 'auto';
  // Embedding rows get their lazy Adam in wasm SIMD when it can run: then every table, its
  // moments and the row sums live in one wasm memory (with the simd kernel's buffers).
  const arenaFor = (simd: boolean) =>
    arenaBytes([
      ...tableShapes(shape).flatMap(([, r, c]) => [r * c, r * c, r * c]),
      B,
      B * f,
      ...(simd ? NeuMfSimdKernel.sizes(shape, B) : []),
    ]);
  let useSimd = pickNeuMfKernel(setting, info.name, shape) === 'simd';
  if (useSimd && arenaFor(true) > MAX_BYTES) {
    if (setting === 'simd')
      throw new Error(`NeuMF simd kernel: ${arenaFor(true)} bytes of wasm memory, over 2 GiB`);
    useSimd = false;
  }
  const bytes = arenaFor(useSimd);
  const arena =
    (useSimd || simdAdamAvailable(f)) && bytes <= MAX_BYTES ? new WasmArena(bytes) : undefined;
  const alloc = arena ?? heapAllocator;
  const rowsAdam = arena && simdAdamAvailable(f) ? new SimdAdam(arena, f) : undefined;
  const state = hooks.resumeFrom
    ? restore(hooks.resumeFrom, shape, config, alloc)
    : fresh(shape, config, alloc);
  const { w, opt } = state;
  const kernel = useSimd && arena ? new NeuMfSimdKernel(arena, shape, B) : undefined;
  const batch: NeuMfBatch = {
    n: 0,
    user: kernel?.user ?? new Int32Array(B),
    item: kernel?.item ?? new Int32Array(B),
    target: new Float32Array(B),
    weight: new Float32Array(B),
  };
  // Scatter buffers of the embedding updates (tfjs path).
  const slotU = new Int32Array(set.nUsers).fill(-1);
  const slotI = new Int32Array(set.nItems).fill(-1);
  const rows = alloc.ints(B);
  const sum = alloc.floats(B * f);
  const dense = tableShapes(w).filter(
    ([name]) => !(EMBEDDINGS as readonly string[]).includes(name),
  );
  const allRows = new Int32Array(Math.max(...dense.map(([, r]) => r))).map((_, k) => k);

  // Every row takes part: a positive row (label 1) brings itself (target 1) and
  // `negatives` sampled items (target 0), an explicit negative row (label 0) itself with
  // target 0. All samples weigh as their row.
  const rowIds = Int32Array.from({ length: set.n }, (_, k) => k);
  const perPositive = 1 + config.negatives;
  const nPositive = pairs.positives.length;
  const total = nPositive * perPositive + (set.n - nPositive);

  const yielder = new EventLoopYielder();
  let stoppedEarly = false;
  for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
    const t0 = Date.now();
    const rng = epochRng(config.seed, epoch);
    // (With positives only this is the same permutation as pairs.shuffledPositives.)
    const order = shuffled(rowIds, rng);
    let lossSum = 0;
    // The sample stream: order[cursor] is the current row, `sub` the sample within its group.
    let cursor = 0;
    let sub = 0;
    for (let start = 0; start < total; start += B) {
      hooks.signal?.throwIfAborted();
      const n = Math.min(B, total - start);
      for (let k = 0; k < n; k++) {
        const row = order[cursor]!;
        const u = set.user[row]!;
        batch.user[k] = u;
        batch.weight[k] = set.weight[row]!;
        if (set.label[row] === 0) {
          batch.item[k] = set.item[row]!;
          batch.target[k] = 0;
          cursor++;
          continue;
        }
        const isPositive = sub === 0;
        batch.item[k] = isPositive ? set.item[row]! : pairs.negative(u, rng);
        batch.target[k] = isPositive ? 1 : 0;
        if (++sub === perPositive) {
          sub = 0;
          cursor++;
        }
      }
      batch.n = n;
      // Loss and gradients: per distinct embedding row its summed gradient, dense tables whole.
      let denseGrads: Record<string, Float32Array>;
      let embeddingRows: (name: (typeof EMBEDDINGS)[number]) => [Int32Array, number, Float32Array];
      if (kernel) {
        lossSum += kernel.grads(w, n, batch.target, batch.weight, config.l2) * n;
        denseGrads = kernel.dense;
        embeddingRows = (name) => {
          const r = kernel.rowSums[name];
          return [r.rows, r.count, r.sum];
        };
      } else {
        const { loss, grads } = neumfBatchGrads(w, batch, config.l2);
        lossSum += loss * n;
        denseGrads = grads;
        embeddingRows = (name) => {
          const ids = name.startsWith('user') ? batch.user : batch.item;
          const slot = name.startsWith('user') ? slotU : slotI;
          return [rows, sumRows(ids, grads[name]!, n, f, slot, rows, sum), sum];
        };
      }
      const rate = opt.adam.begin();
      for (const name of EMBEDDINGS) {
        const [r, c, g] = embeddingRows(name);
        const [mo, table] = [opt.moments[name]!, w.tables[name]!];
        if (rowsAdam) rowsAdam.apply(opt.adam, mo, table, r, c, g, rate);
        else opt.adam.apply(mo, table, r, c, g, f, rate);
      }
      for (const [name, r, c] of dense)
        opt.adam.apply(opt.moments[name]!, w.tables[name]!, allRows, r, denseGrads[name]!, c, rate);
      await yielder.maybeYield();
    }
    const log: EpochLog = {
      epoch,
      loss: lossSum / Math.max(total, 1),
      samples: total,
      seconds: (Date.now() - t0) / 1000,
    };
    const stop = await finishEpoch(state, log, config, hooks, {
      validate: () => validNdcg10(w, validation, hooks.signal),
      snapshot: () => copyNeuMf(w),
      serialize: () => serialize(state),
    });
    if (stop) {
      stoppedEarly = epoch < config.epochs;
      break;
    }
  }
  return {
    model: await NeuMfModel.create(state.best ?? copyNeuMf(w)),
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValidNdcg10: state.bestScore,
    stoppedEarly,
    backend: info.name,
    kernel: kernel ? 'simd' : 'tfjs',
  };
}

interface Optimizer {
  adam: LazyAdam;
  moments: Record<string, Moments>;
}

interface TrainState extends EarlyStopState<NeuMfWeights> {
  w: NeuMfWeights;
  opt: Optimizer;
}

function optimizer(w: NeuMfWeights, lr: number, alloc: Allocator): Optimizer {
  const moments = (n: number): Moments => ({ m: alloc.floats(n), v: alloc.floats(n) });
  return {
    adam: new LazyAdam(lr),
    moments: Object.fromEntries(Object.entries(w.tables).map(([k, v]) => [k, moments(v.length)])),
  };
}

function fresh(shape: NeuMfShape, config: TrainConfig, alloc: Allocator): TrainState {
  const rng = new Rng(config.seed);
  const w = initNeuMf(shape, () => rng.normal(), alloc);
  return {
    epoch: 0,
    w,
    opt: optimizer(w, config.learningRate, alloc),
    bestScore: -1,
    bestEpoch: 0,
    bad: 0,
    history: [],
  };
}

/** NeuMF's scorer holds tfjs and wasm resources: made for one validation, then freed. */
async function validNdcg10(
  w: NeuMfWeights,
  v: ValidationData,
  signal?: AbortSignal,
): Promise<number> {
  const model = await NeuMfModel.create(w);
  try {
    return await validationNdcg10(model, v, signal);
  } finally {
    model.dispose();
  }
}

function serialize(s: TrainState): Uint8Array {
  const arrays: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(s.w.tables)) {
    arrays[k] = v;
    arrays[`${k}.m`] = s.opt.moments[k]!.m;
    arrays[`${k}.v`] = s.opt.moments[k]!.v;
    if (s.best) arrays[`best.${k}`] = s.best.tables[k]!;
  }
  return packState(
    {
      family: 'neumf',
      nUsers: s.w.nUsers,
      nItems: s.w.nItems,
      factors: s.w.factors,
      layers: s.w.layers,
      step: s.opt.adam.step,
      ...progressHeader(s),
    },
    arrays,
  );
}

function restore(
  bytes: Uint8Array,
  shape: NeuMfShape,
  config: TrainConfig,
  alloc: Allocator,
): TrainState {
  const { header: h, arrays: a } = unpackState(bytes);
  if (
    h.family !== 'neumf' ||
    h.nUsers !== shape.nUsers ||
    h.nItems !== shape.nItems ||
    h.factors !== shape.factors ||
    JSON.stringify(h.layers) !== JSON.stringify(shape.layers)
  )
    throw new Error(
      `checkpoint does not match this training (${String(h.family)} ${String(h.nUsers)}x${String(h.nItems)} factors ${String(h.factors)} layers ${JSON.stringify(h.layers)})`,
    );
  const names = tableShapes(shape).map(([name]) => name);
  const tables = Object.fromEntries(names.map((k) => [k, allocCopy(alloc, a[k]!)]));
  const w: NeuMfWeights = { ...shape, tables };
  const opt = optimizer(w, config.learningRate, alloc);
  for (const k of names) {
    opt.moments[k]!.m.set(a[`${k}.m`]!);
    opt.moments[k]!.v.set(a[`${k}.v`]!);
  }
  opt.adam.step = h.step as number;
  return {
    ...progressFromHeader(h),
    w,
    opt,
    best: a[`best.${names[0]!}`]
      ? { ...shape, tables: Object.fromEntries(names.map((k) => [k, a[`best.${k}`]!])) }
      : undefined,
  };
}

/**
 * Which batch math runs (`model.kernel`): `simd` (neumf-kernel.ts; factors and layer sizes
 * divisible by 4), `tfjs` (neumfBatchGrads), or `auto`: simd when it can run on the wasm and
 * cpu backends, tfjs on the native ones. NeuMF has no `typed` kernel.
 */
export function pickNeuMfKernel(
  setting: 'auto' | 'simd' | 'typed' | 'tfjs',
  backend: string,
  shape: Pick<NeuMfShape, 'factors' | 'layers'>,
): 'simd' | 'tfjs' {
  const can = neumfSimdAvailable(shape.factors, shape.layers);
  if (setting === 'typed') throw new Error('NeuMF has no typed kernel: use simd, tfjs or auto');
  if (setting === 'simd' && !can)
    throw new Error(
      'NeuMF simd kernel: needs WebAssembly SIMD and factors and mlpLayers divisible by 4',
    );
  if (setting === 'auto') return can && (backend === 'wasm' || backend === 'cpu') ? 'simd' : 'tfjs';
  return setting;
}
