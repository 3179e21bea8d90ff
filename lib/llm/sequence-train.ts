/**
 * Training of the item-sequence model: seeded windows and negatives per (seed, epoch), Adam
 * (lazy on the embedding rows a batch touched, dense on the small weights), a fixed number
 * of epochs (or fewer, when a budget stops it between epochs) with the loss per epoch reported.
 * On a large log an epoch covers a seeded sample of the windows (`maxWindows`), drawn anew
 * each epoch, so that one epoch stays bounded.
 */
import { initBackend } from '../compute/backend.ts';
import type { Csr } from '../eval/types.ts';
import { Rng } from '../training/random.ts';
import { LazyAdam, moments } from '../training/adam.ts';
import type { Moments } from '../training/adam.ts';
import { EventLoopYielder, epochRng, shuffled } from '../training/training-loop.ts';
import {
  PARAM_NAMES,
  initParams,
  lossAndGradients,
  paramShapes,
  zerosLike,
} from './sequence-model.ts';
import type {
  ParamName,
  SequenceModelShape,
  SequenceParams,
  TrainBatch,
} from './sequence-model.ts';
import { fillContext, trainingWindows } from './sequences.ts';

export interface SequenceTrainConfig {
  dim: number;
  window: number;
  hidden: number;
  epochs: number;
  /** Windows per batch. */
  batchSize: number;
  learningRate: number;
  /** Shared sampled negatives per batch. */
  negatives: number;
  /** Windows an epoch trains on at most, a fresh seeded sample each epoch (0 or absent: all). */
  maxWindows?: number;
  seed: number;
}

export interface SequenceModel {
  shape: SequenceModelShape;
  params: SequenceParams;
}

export interface SequenceTrainResult extends SequenceModel {
  history: { epoch: number; loss: number; seconds: number }[];
  backend: string;
}

export interface SequenceTrainHooks {
  onEpoch?: (epoch: number, loss: number) => void;
  signal?: AbortSignal;
  /** Asked before each epoch after the first: true ends training there (a seconds budget). */
  shouldStop?: () => boolean;
}

/** The user (row) of an absolute CSR index: binary search over `indptr`. */
function rowOf(indptr: Int32Array, k: number): number {
  let lo = 0;
  let hi = indptr.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (indptr[mid]! <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export async function trainSequenceModel(
  seqs: Csr,
  nItems: number,
  cfg: SequenceTrainConfig,
  hooks: SequenceTrainHooks = {},
): Promise<SequenceTrainResult> {
  const info = await initBackend();
  const shape: SequenceModelShape = {
    nItems,
    dim: cfg.dim,
    window: cfg.window,
    hidden: cfg.hidden,
  };
  const params = initParams(shape, new Rng(cfg.seed));
  const grads = zerosLike(params);
  const shapes = paramShapes(shape);
  const opt = new LazyAdam(cfg.learningRate);
  const mo = Object.fromEntries(PARAM_NAMES.map((n) => [n, moments(params[n].length)])) as Record<
    ParamName,
    Moments
  >;
  const allRows = (n: number) => Int32Array.from({ length: n }, (_, k) => k);
  const denseRows = Object.fromEntries(
    PARAM_NAMES.map((n) => [n, allRows(shapes[n][0])]),
  ) as Record<ParamName, Int32Array>;

  const windows = trainingWindows(seqs, cfg.window);
  const L = cfg.window;
  const d = cfg.dim;
  const B = cfg.batchSize;
  const batch: TrainBatch = {
    size: 0,
    ids: new Int32Array(B * L),
    targets: new Int32Array(B * L),
    negatives: new Int32Array(cfg.negatives),
  };
  // Embedding rows a batch touched (distinct), and their packed gradients.
  const mark = new Uint8Array(nItems);
  const touched = new Int32Array(nItems);
  const packed = new Float32Array(nItems * d);
  const packedBias = new Float32Array(nItems);
  const yielder = new EventLoopYielder();
  const history: SequenceTrainResult['history'] = [];

  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    if (epoch > 1 && hooks.shouldStop?.()) break;
    const t0 = Date.now();
    const rng = epochRng(cfg.seed, epoch);
    const all = shuffled(windows, rng);
    const order = cfg.maxWindows ? all.subarray(0, cfg.maxWindows) : all;
    let lossSum = 0;
    let predictions = 0;
    for (let start = 0; start < order.length; start += B) {
      hooks.signal?.throwIfAborted();
      batch.size = Math.min(B, order.length - start);
      for (let b = 0; b < batch.size; b++) {
        const end = order[start + b]!;
        const lo = seqs.indptr[rowOf(seqs.indptr, end)]!;
        fillContext(seqs.indices, lo, end, L, nItems, batch.ids, b * L);
        // Slot s predicts the item after its input: input index end - L + s.
        for (let s = 0; s < L; s++) {
          const input = end - L + s;
          batch.targets[b * L + s] = input >= lo ? seqs.indices[input + 1]! : -1;
        }
      }
      for (let j = 0; j < cfg.negatives; j++) batch.negatives[j] = rng.int(nItems);
      const view: TrainBatch = {
        ...batch,
        ids: batch.ids.subarray(0, batch.size * L),
        targets: batch.targets.subarray(0, batch.size * L),
      };
      const step = lossAndGradients(shape, params, view, grads);
      if (step.count === 0) continue;
      lossSum += step.loss * step.count;
      predictions += step.count;

      const rate = opt.begin();
      for (const name of PARAM_NAMES) {
        if (name === 'emb' || name === 'bias') continue;
        const cols = shapes[name][1];
        opt.apply(
          mo[name],
          params[name],
          denseRows[name],
          shapes[name][0],
          grads[name],
          cols,
          rate,
        );
      }
      let count = 0;
      const touch = (it: number) => {
        if (it < 0 || it >= nItems || mark[it]) return;
        mark[it] = 1;
        touched[count++] = it;
      };
      for (const it of view.ids) touch(it);
      for (const it of view.targets) touch(it);
      for (const it of batch.negatives) touch(it);
      for (let r = 0; r < count; r++) {
        const it = touched[r]!;
        mark[it] = 0;
        packed.set(grads.emb.subarray(it * d, it * d + d), r * d);
        packedBias[r] = grads.bias[it]!;
      }
      opt.apply(mo.emb, params.emb, touched, count, packed, d, rate);
      opt.apply(mo.bias, params.bias, touched, count, packedBias, 1, rate);
      await yielder.maybeYield();
    }
    const loss = predictions ? lossSum / predictions : 0;
    history.push({ epoch, loss, seconds: (Date.now() - t0) / 1000 });
    hooks.onEpoch?.(epoch, loss);
  }
  return { shape, params, history, backend: info.name };
}
