/**
 * CFGAN training (Chae et al., CIKM 2018) with zero-reconstruction (ZR) and partial masking
 * (PM). The generator G maps a real vector e_u (the condition: a user's row of the train
 * matrix, or with variant item an item's column) to a vector of the same length; the
 * discriminator D sees [e_u | x] with x = e_u (real) or G(e_u) * (e_u + k_u) (fake, where
 * k_u are PM-sampled zero entries). G also pays zrCoefficient x the squared output on
 * ZR-sampled zero entries, reconstructionCoefficient x the squared error (1 - output) on
 * e_u's own entries, and regG x its squared weights / 2. With inputDropout > 0, G's input in
 * training is e_u with that share of its entries hidden (drawn per batch), while D and the
 * losses see all of e_u, so G learns to restore what it was not shown. As in the authors'
 * code, an epoch is dSteps passes of D updates over all vectors, then gSteps passes of G
 * updates, each with its own batch size; every validateEvery epochs the generator is scored
 * on the validation split (NDCG@10 as a recommender) and the best one is kept, training
 * stopping after `patience` scorings without improvement.
 *
 * Cost: the first layers over e_u are gathers of the user's item rows (sparse-rows.ts);
 * the dense parts (G's output layer, D over the fake vector) are tfjs matmuls on one thread,
 * or with `threads` above 1 the SIMD products of train-threads.ts, split over threads.
 * Gradients are written out (tfjs-core's node build has no gradient functions); parameters and Adam
 * moments live in typed arrays (gan-state.ts), so checkpoints (which also hold the best generator so far
 * and the early-stopping counters) are exact and a resumed run repeats the uninterrupted
 * one: every epoch's randomness derives from (seed, epoch). The row gathers,
 * scatters and Adam steps run as WebAssembly SIMD kernels (kernels.ts) over one wasm
 * memory holding the weights, with the same floats as the JS loops they fall back to.
 */
import { WasmArena, arenaBytes, countAllocations, heapAllocator } from '../compute/arena.ts';
import type { Allocator } from '../compute/arena.ts';
import { initBackend, tf } from '../compute/backend.ts';
import { MAX_BYTES } from '../compute/wasm-writer.ts';
import { NORMAL_TABLE } from '../training/random.ts';
import type { Rng } from '../training/random.ts';
import { transposeCsr } from '../eval/csr.ts';
import type { Csr } from '../eval/types.ts';
import { validationNdcg10 } from '../models/validation-score.ts';
import type { LazyAdam, Moments } from '../training/adam.ts';
import { EventLoopYielder, epochRng, shuffled } from '../training/training-loop.ts';
import type { LoopHooks } from '../training/types.ts';
import { D_TABLES, G_TABLES, copyTables, fresh, restore, serialize, shapeOf } from './gan-state.ts';
import type { GanState, Shape } from './gan-state.ts';
import { GeneratorScorer, checkItemVariantSize, ganInputError } from './generator.ts';
import { RowKernels, TransposeKernel, ganSimdAvailable } from './kernels.ts';
import {
  InputDropout,
  activeRows,
  reconstructionWeights,
  sampleMasks,
  shiftOwnEntries,
} from './masks.ts';
import { gatherSum, scatterRows, sumOverRows } from './sparse-rows.ts';
import { threadBuffers } from './thread-layout.ts';
import { GanThreads, ganThreads } from './train-threads.ts';
import type { CfganConfig, GanEpochLog, GeneratorWeights } from './types.ts';

/**
 * The real train split the GAN learns from, and the validation split that scores it for
 * early stopping (never the test split).
 */
export interface GanTrainData {
  nUsers: number;
  nItems: number;
  /** User x item train rows. */
  train: Csr;
  /** User x item validation rows; required when config.validateEvery > 0. */
  valid?: Csr;
}

export interface GanTrainResult {
  /** The best generator on validation, or the last one when nothing was validated. */
  generator: GeneratorWeights;
  history: GanEpochLog[];
  backend: string;
  /** The epoch the returned generator comes from. */
  bestEpoch: number;
  bestValidNdcg10?: number;
  /** True when patience ran out before config.epochs. */
  stoppedEarly: boolean;
}

export async function trainCfgan(
  data: GanTrainData,
  config: CfganConfig,
  hooks: LoopHooks<GanEpochLog> = {},
): Promise<GanTrainResult> {
  const info = await initBackend();
  const { nUsers, nItems, train } = data;
  if (config.validateEvery > 0 && !data.valid)
    throw ganInputError('CFGAN: validateEvery > 0 needs the valid split');
  if (config.variant === 'item') checkItemVariantSize(nUsers, nItems);
  const shape = shapeOf(config, nUsers, nItems);
  // The GAN's vectors: users' rows, or items' columns of the train matrix.
  const rows = config.variant === 'item' ? transposeCsr(train, nItems) : train;
  const yielder = new EventLoopYielder();
  const s = hooks.resumeFrom
    ? restore(hooks.resumeFrom, shape, config)
    : await fresh(shape, config, () => yielder.maybeYield());
  await yielder.maybeYield();
  // Vectors with at least one non-zero: the ones with a condition to learn from.
  const active = activeRows(rows);
  const trainer = await trainerFor(s, rows, config, active, hooks, yielder);
  const { g } = s;
  try {
    await yielder.maybeYield();
    for (let epoch = s.epoch + 1; epoch <= config.epochs; epoch++) {
      if (patienceSpent(s, config) || hooks.shouldStop?.()) break;
      const t0 = Date.now();
      const rng = epochRng(config.seed, epoch);
      const sums: Sums = { d: 0, g: 0, real: 0, fake: 0, dBatches: 0, gBatches: 0 };
      await trainer.epoch(rng, sums);
      const per = (x: number, k: number) => x / Math.max(k, 1);
      const log: GanEpochLog = {
        epoch,
        dLoss: per(sums.d, sums.dBatches),
        gLoss: per(sums.g, sums.gBatches),
        dReal: per(sums.real, sums.dBatches),
        dFake: per(sums.fake, sums.dBatches),
        samples: active.length,
        seconds: (Date.now() - t0) / 1000,
      };
      if (data.valid && config.validateEvery > 0) {
        if (epoch % config.validateEvery === 0 || epoch === config.epochs) {
          trainer.beforeScoring();
          log.validNdcg10 = await scoreOnValid(g, shape, data, hooks.signal);
          if (!s.best || log.validNdcg10 > s.best.ndcg10) {
            s.best = { epoch, ndcg10: log.validNdcg10, tables: copyTables(g) };
            s.sinceBest = 0;
          } else s.sinceBest++;
        }
      }
      s.history.push(log);
      s.epoch = epoch;
      await hooks.onEpoch?.(log);
      if (hooks.onCheckpoint && hooks.checkpointEvery && epoch % hooks.checkpointEvery === 0) {
        trainer.beforeSaving();
        await hooks.onCheckpoint(serialize(s, config, shape), epoch);
      }
    }
    trainer.beforeScoring();
  } finally {
    await trainer.close();
  }
  // Copies: the arrays may be views into the kernels' wasm memory, which they would keep.
  const generator = { ...g, ...(s.best ? s.best.tables : copyTables(g)) };
  return {
    generator,
    history: s.history,
    backend: info.name,
    bestEpoch: s.best?.epoch ?? s.epoch,
    ...(s.best ? { bestValidNdcg10: s.best.ndcg10 } : {}),
    stoppedEarly: s.epoch < config.epochs,
  };
}

/** What an epoch runs on: the one-thread loop (tfjs) or the threads (train-threads.ts). */
interface GanTrainer {
  epoch(rng: Rng, sums: Sums): Promise<void>;
  /** Brings the state's tables up to date before the generator is scored or saved. */
  beforeScoring(): void;
  beforeSaving(): void;
  close(): Promise<void>;
}

/**
 * The threads for this run (train-threads.ts) when it gets more than one and their shared
 * memory can be had (the state moves there), else the one-thread trainer.
 */
async function trainerFor(
  s: GanState,
  rows: Csr,
  config: CfganConfig,
  active: Int32Array,
  hooks: LoopHooks<GanEpochLog>,
  yielder: EventLoopYielder,
): Promise<GanTrainer> {
  const width = s.d.width;
  const threads = ganSimdAvailable() ? ganThreads(config, width, active.length) : 1;
  if (threads > 1) {
    const build = (alloc: Allocator) => ({
      state: copyState(alloc, s),
      buffers: threadBuffers(alloc, width, config, threads),
    });
    const bytes = arenaBytes(countAllocations((alloc) => void build(alloc)));
    let arena: WasmArena | undefined;
    try {
      if (bytes <= MAX_BYTES) arena = WasmArena.shared(bytes);
    } catch {
      // No shared memory of that size here: one thread.
    }
    if (arena) {
      const { state, buffers } = build(arena);
      Object.assign(s, state);
      const t = await GanThreads.start(arena, s, buffers, rows, config, threads, hooks.signal);
      const { dSteps, gSteps, discriminatorBatchSize: dSize, batchSize: gSize } = config;
      return {
        async epoch(rng, sums) {
          await t.discriminatorPasses(dSteps, active, dSize, rng, sums, yielder);
          await t.generatorPasses(gSteps, active, gSize, rng, sums, yielder);
        },
        beforeScoring: () => t.sync(),
        beforeSaving: () => t.sync(),
        close: () => t.close(),
      };
    }
  }
  return oneThread(s, rows, config, active, hooks, yielder);
}

/** The one-thread trainer: tfjs for the dense layers, the row kernels for the sparse ones. */
function oneThread(
  s: GanState,
  rows: Csr,
  config: CfganConfig,
  active: Int32Array,
  hooks: LoopHooks<GanEpochLog>,
  yielder: EventLoopYielder,
): GanTrainer {
  const { ops, w } = prepare(s, rows, config);
  const width = s.d.width;
  const { g, d } = s;
  const hG = config.generatorUnits;
  const hD = config.discriminatorUnits;
  const nz = config.noiseDim;
  const B = Math.max(config.batchSize, config.discriminatorBatchSize);
  const alpha = config.zrCoefficient;
  const beta = config.reconstructionCoefficient;
  const reg = config.regG;
  // Reused buffers.
  const bu = new Int32Array(B);
  const mask = new Float32Array(B * width);
  const zr = new Float32Array(B * width);
  // 1 at the batch's own entries: the target of the reconstruction term.
  const own = beta > 0 ? new Float32Array(B * width) : undefined;
  const dropT = Math.round(config.inputDropout * 65536);
  const dropout = dropT > 0 ? new InputDropout(B) : undefined;
  const z = new Float32Array(Math.max(1, B * nz));
  const zrT = Math.round(config.zrRatio * 65536);
  const pmT = Math.round(config.pmRatio * 65536);
  // G's output layer is updated in its transposed layout (Adam is elementwise, so the
  // floats are the same); g.w2 and its moments are transposed copies, refreshed per batch
  // (the weights) or per checkpoint (the moments).
  ops.transpose(g.w2, hG, width, w.w2T);
  ops.transpose(s.gm.w2.m, hG, width, w.w2Tmo.m);
  ops.transpose(s.gm.w2.v, hG, width, w.w2Tmo.v);
  ops.transpose(d.wx, width, hD, w.wxT);

  /** Batch `bu[0..n)`: masks, noise and G's forward pass (batch x width kept width-major). */
  const generate = (n: number, rng: Rng) => {
    sampleMasks(rows, bu, n, width, rng, zrT, pmT, mask, zr);
    reconstructionWeights(rows, bu, n, width, zr, alpha, beta);
    for (let k = 0; k < n * nz; k++) z[k] = NORMAL_TABLE[rng.u32() & 4095]!;
    // G's input: the whole vectors, or what the dropout left of them.
    const input = dropout?.draw(rows, bu, n, rng, dropT) ?? { csr: rows, users: bu };
    // Batch x width matrices are kept width-major ([width, n], names ending in T): the
    // wasm matmul repacks its second operand on every call (for G's hidden x width output
    // layer that cost more than the product), so width-sized weights come first, from
    // transposed copies where needed, and no batch x width matrix is transposed.
    ops.gather(g.w1, hG, input.users, n, w.preG, g.b1, input.csr);
    const tensors = tf.tidy(() => {
      let pre: tf.Tensor2D = tf.tensor2d(w.preG.subarray(0, n * hG), [n, hG]);
      const zt = tf.tensor2d(z.subarray(0, n * nz), [n, nz]);
      if (nz > 0) pre = tf.add(pre, tf.matMul(zt, tf.tensor2d(g.wz, [nz, hG])));
      const h = tf.sigmoid(pre);
      const w2 = tf.tensor2d(g.w2, [hG, width]);
      const w2t = tf.tensor2d(w.w2T, [width, hG]);
      const b2 = tf.reshape(tf.tensor1d(g.b2), [width, 1]);
      // A linear output layer, as in the authors' code.
      const outT = tf.add(tf.matMul(w2t, tf.transpose(h)), b2);
      const mT = tf.tensor2d(mask.subarray(0, n * width), [width, n]);
      return { h, outT, fakeT: tf.mul(outT, mT), mT, w2, zt };
    });
    return { tensors, input };
  };

  /** One discriminator update on batch `bu[0..n)`: real e_u against the masked fake. */
  const discriminatorStep = (n: number, rng: Rng, sums: Sums) => {
    const fwd = generate(n, rng).tensors;
    ops.gather(d.wc, hD, bu, n, w.cond, d.b1);
    ops.gather(d.wx, hD, bu, n, w.realX);
    const dOut = tf.tidy(() => {
      const c = tf.tensor2d(w.cond.subarray(0, n * hD), [n, hD]);
      const wxt = tf.tensor2d(w.wxT, [hD, width]);
      const w2 = tf.tensor2d(d.w2, [hD, 1]);
      const w2row = tf.reshape(w2, [1, hD]);
      const b2 = tf.scalar(d.b2[0]!);
      const hr = tf.sigmoid(tf.add(c, tf.tensor2d(w.realX.subarray(0, n * hD), [n, hD])));
      const hf = tf.sigmoid(tf.add(c, tf.transpose(tf.matMul(wxt, fwd.fakeT))));
      const or = tf.add(tf.matMul(hr, w2), b2);
      const of = tf.add(tf.matMul(hf, w2), b2);
      const loss = tf.add(
        tf.mean(tf.neg(tf.logSigmoid(or))),
        tf.mean(tf.neg(tf.logSigmoid(tf.neg(of)))),
      );
      const pr = tf.sigmoid(or);
      const pf = tf.sigmoid(of);
      // d loss / d logit: (D(real) - 1) / n and D(fake) / n.
      const dor = tf.div(tf.sub(pr, 1), n);
      const dof = tf.div(pf, n);
      const dar = tf.mul(tf.mul(dor, w2row), tf.mul(hr, tf.sub(1, hr)));
      const daf = tf.mul(tf.mul(dof, w2row), tf.mul(hf, tf.sub(1, hf)));
      return [
        dar,
        daf,
        tf.matMul(fwd.fakeT, daf),
        tf.add(tf.matMul(tf.transpose(hr), dor), tf.matMul(tf.transpose(hf), dof)),
        tf.add(tf.sum(dor), tf.sum(dof)),
        loss,
        tf.mean(pr),
        tf.mean(pf),
      ];
    });
    tf.dispose(Object.values(fwd));
    const [dar, daf, gWx, gW2, gB2, dLoss, dReal, dFake] = read(dOut);
    sums.d += dLoss![0]!;
    sums.real += dReal![0]!;
    sums.fake += dFake![0]!;
    sums.dBatches++;
    for (let k = 0; k < n * hD; k++) w.daSum[k] = dar![k]! + daf![k]!;
    w.dar.set(dar!);
    const rate = s.dAdam.begin();
    // wx: the dense fake part plus the real vector's rows.
    const rc = ops.scatter(bu, n, w.dar, hD, w.rows, w.rowGrad);
    w.dWx.set(gWx!);
    ops.addInto(w.dWx, hD, w.rows, rc, w.rowGrad);
    ops.adamDense(s.dAdam, s.dm.wx, d.wx, w.dWx, rate);
    ops.transpose(d.wx, width, hD, w.wxT);
    const cc = ops.scatter(bu, n, w.daSum, hD, w.rows, w.rowGrad);
    ops.adamRows(s.dAdam, s.dm.wc, d.wc, w.rows, cc, w.rowGrad, hD, rate);
    sumOverRows(w.daSum, n, hD, w.dB1);
    ops.adamDense(s.dAdam, s.dm.b1, d.b1, w.dB1, rate);
    w.dW2.set(gW2!);
    ops.adamDense(s.dAdam, s.dm.w2, d.w2, w.dW2, rate);
    w.dB2.set(gB2!);
    ops.adamDense(s.dAdam, s.dm.b2, d.b2, w.dB2, rate);
  };

  /** One generator update on batch `bu[0..n)` against the current discriminator. */
  const generatorStep = (n: number, rng: Rng, sums: Sums) => {
    const { tensors: fwd, input } = generate(n, rng);
    if (own) {
      own.fill(0, 0, n * width);
      shiftOwnEntries(rows, bu, n, own, 1);
    }
    ops.gather(d.wc, hD, bu, n, w.cond, d.b1);
    const gOut = tf.tidy(() => {
      const c = tf.tensor2d(w.cond.subarray(0, n * hD), [n, hD]);
      const wx = tf.tensor2d(d.wx, [width, hD]);
      const wxt = tf.tensor2d(w.wxT, [hD, width]);
      const w2 = tf.tensor2d(d.w2, [hD, 1]);
      const hf = tf.sigmoid(tf.add(c, tf.transpose(tf.matMul(wxt, fwd.fakeT))));
      const of = tf.add(tf.matMul(hf, w2), tf.scalar(d.b2[0]!));
      const zrT = tf.tensor2d(zr.subarray(0, n * width), [width, n]);
      const { outT, h } = fwd;
      // The error against the target: 1 at own entries, 0 elsewhere.
      const errT = own ? tf.sub(outT, tf.tensor2d(own.subarray(0, n * width), [width, n])) : outT;
      // -log D(fake) (the non-saturating loss of the authors' code) + the weighted squared
      // errors (alpha on the ZR entries, beta on the own ones), batch means.
      const loss = tf.add(
        tf.mean(tf.neg(tf.logSigmoid(of))),
        tf.mul(1 / n, tf.sum(tf.mul(zrT, tf.square(errT)))),
      );
      const dof = tf.div(tf.sub(tf.sigmoid(of), 1), n);
      const daf = tf.mul(tf.mul(dof, tf.reshape(w2, [1, hD])), tf.mul(hf, tf.sub(1, hf)));
      const dfakeT = tf.matMul(wx, tf.transpose(daf));
      const doutT = tf.add(tf.mul(dfakeT, fwd.mT), tf.mul(2 / n, tf.mul(zrT, errT)));
      const dh = tf.transpose(tf.matMul(fwd.w2, doutT));
      const dpre = tf.mul(dh, tf.mul(h, tf.sub(1, h)));
      return [
        // W2's gradient transposed ([width, hidden]); transposed back in the arena.
        tf.matMul(doutT, h),
        tf.sum(doutT, 1),
        dpre,
        nz > 0 ? tf.matMul(tf.transpose(fwd.zt), dpre) : tf.zeros([1]),
        loss,
      ];
    });
    tf.dispose(Object.values(fwd));
    const [gGW2T, gGB2, dpre, gWz, gLoss] = read(gOut);
    sums.g += gLoss![0]!;
    sums.gBatches++;
    const rate = s.gAdam.begin();
    w.gW2T.set(gGW2T!);
    addScaled(w.gW2T, reg, w.w2T);
    ops.adamDense(s.gAdam, w.w2Tmo, w.w2T, w.gW2T, rate);
    ops.transpose(w.w2T, width, hG, g.w2);
    w.gB2.set(gGB2!);
    addScaled(w.gB2, reg, g.b2);
    ops.adamDense(s.gAdam, s.gm.b2, g.b2, w.gB2, rate);
    w.dpre.set(dpre!);
    // w1's rows: those of the inputs G was shown.
    const gc = ops.scatter(input.users, n, w.dpre, hG, w.rows, w.rowGrad, input.csr);
    if (reg > 0) {
      // The penalty reaches every row of w1, so its update is dense.
      w.gW1.fill(0);
      addScaled(w.gW1, reg, g.w1);
      ops.addInto(w.gW1, hG, w.rows, gc, w.rowGrad);
      ops.adamDense(s.gAdam, s.gm.w1, g.w1, w.gW1, rate);
    } else ops.adamRows(s.gAdam, s.gm.w1, g.w1, w.rows, gc, w.rowGrad, hG, rate);
    sumOverRows(w.dpre, n, hG, w.gB1);
    addScaled(w.gB1, reg, g.b1);
    ops.adamDense(s.gAdam, s.gm.b1, g.b1, w.gB1, rate);
    if (nz > 0) {
      w.gWz.set(gWz!);
      addScaled(w.gWz, reg, g.wz);
      ops.adamDense(s.gAdam, s.gm.wz, g.wz, w.gWz, rate);
    }
  };

  /** `passes` shuffled passes over the active vectors in batches of `size`. */
  const passes = async (
    count: number,
    size: number,
    rng: Rng,
    sums: Sums,
    step: (n: number, rng: Rng, sums: Sums) => void,
  ) => {
    for (let pass = 0; pass < count; pass++) {
      const order = shuffled(active, rng);
      for (let start = 0; start < order.length; start += size) {
        hooks.signal?.throwIfAborted();
        const n = Math.min(size, order.length - start);
        bu.set(order.subarray(start, start + n));
        step(n, rng, sums);
        // A step may end a turn of the event loop; nothing depends on when it resumes.
        await yielder.maybeYield();
      }
    }
  };

  return {
    async epoch(rng, sums) {
      await passes(config.dSteps, config.discriminatorBatchSize, rng, sums, discriminatorStep);
      await passes(config.gSteps, config.batchSize, rng, sums, generatorStep);
    },
    beforeScoring() {},
    beforeSaving() {
      ops.transpose(w.w2Tmo.m, width, hG, s.gm.w2.m);
      ops.transpose(w.w2Tmo.v, width, hG, s.gm.w2.v);
    },
    close: async () => {},
  };
}

/** Loss and D(x) sums of one epoch. */
interface Sums {
  d: number;
  g: number;
  real: number;
  fake: number;
  dBatches: number;
  gBatches: number;
}

function patienceSpent(s: GanState, c: CfganConfig): boolean {
  return c.validateEvery > 0 && s.sinceBest >= c.patience;
}

/** `a += scale * b`, elementwise (a no-op for scale 0). */
function addScaled(a: Float32Array, scale: number, b: Float32Array): void {
  if (scale === 0) return;
  for (let k = 0; k < a.length; k++) a[k] = a[k]! + scale * b[k]!;
}

/** The current generator's NDCG@10 on the validation split, as a recommender. */
async function scoreOnValid(
  g: GeneratorWeights,
  shape: Shape,
  data: GanTrainData,
  signal?: AbortSignal,
): Promise<number> {
  const scorer = await GeneratorScorer.create(
    { ...g, variant: shape.variant, nUsers: shape.nUsers, nItems: shape.nItems },
    data.train,
  );
  try {
    return await validationNdcg10(scorer, { train: data.train, valid: data.valid! }, signal);
  } finally {
    scorer.dispose();
  }
}

/** The per-batch row loops: JS over heap arrays, or SIMD kernels over one wasm arena. */
interface RowOps {
  /** gatherSum over the train split, or over `csr` (sparse-rows.ts). */
  gather(
    table: Float32Array,
    dim: number,
    users: Int32Array,
    n: number,
    out: Float32Array,
    bias?: Float32Array,
    csr?: Csr,
  ): void;
  /** scatterRows over the train split, or over `csr` (sparse-rows.ts). */
  scatter(
    users: Int32Array,
    n: number,
    grad: Float32Array,
    dim: number,
    outRows: Int32Array,
    outGrad: Float32Array,
    csr?: Csr,
  ): number;
  /** `table[rows[k]] += src[k]` for k < count. */
  addInto(
    table: Float32Array,
    dim: number,
    rows: Int32Array,
    count: number,
    src: Float32Array,
  ): void;
  /** LazyAdam.apply on the listed rows. */
  adamRows(
    adam: LazyAdam,
    mo: Moments,
    param: Float32Array,
    rows: Int32Array,
    count: number,
    grad: Float32Array,
    dim: number,
    rate: number,
  ): void;
  /** LazyAdam.apply on a whole table (`grad` as long as `param`). */
  adamDense(
    adam: LazyAdam,
    mo: Moments,
    param: Float32Array,
    grad: Float32Array,
    rate: number,
  ): void;
  /** `out` = the transpose of the (rows x cols) matrix `a`. */
  transpose(a: Float32Array, rows: number, cols: number, out: Float32Array): void;
}

/** Buffers of one batch, and the gradients of the dense tables (as long as their table). */
interface Work {
  preG: Float32Array;
  cond: Float32Array;
  realX: Float32Array;
  daSum: Float32Array;
  dar: Float32Array;
  dpre: Float32Array;
  rowGrad: Float32Array;
  rows: Int32Array;
  pairs: Int32Array;
  /** G's output layer transposed ([catalog, hidden]) and its moments: what Adam updates. */
  w2T: Float32Array;
  w2Tmo: Moments;
  wxT: Float32Array;
  gW2T: Float32Array;
  gB2: Float32Array;
  gB1: Float32Array;
  gWz: Float32Array;
  /** w1's dense gradient, used when regG > 0. */
  gW1: Float32Array;
  dWx: Float32Array;
  dW2: Float32Array;
  dB1: Float32Array;
  dB2: Float32Array;
}

function workBuffers(alloc: Allocator, width: number, c: CfganConfig): Work {
  const { generatorUnits: hG, discriminatorUnits: hD, noiseDim: nz } = c;
  const B = Math.max(c.batchSize, c.discriminatorBatchSize);
  const f = (n: number) => alloc.floats(n);
  return {
    preG: f(B * hG),
    cond: f(B * hD),
    realX: f(B * hD),
    daSum: f(B * hD),
    dar: f(B * hD),
    dpre: f(B * hG),
    rowGrad: f(width * Math.max(hG, hD)),
    rows: alloc.ints(width),
    pairs: alloc.ints(2 * 16384),
    w2T: f(hG * width),
    w2Tmo: { m: f(hG * width), v: f(hG * width) },
    wxT: f(width * hD),
    gW2T: f(width * hG),
    gB2: f(width),
    gB1: f(hG),
    gWz: f(nz * hG),
    gW1: f(c.regG > 0 ? width * hG : 0),
    dWx: f(width * hD),
    dW2: f(hD),
    dB1: f(hD),
    dB2: f(1),
  };
}

/** Copies of the weights and moments, allocated from `alloc` (empty when only counting). */
function copyState(alloc: Allocator, s: GanState): Pick<GanState, 'g' | 'd' | 'gm' | 'dm'> {
  const copy = (a: Float32Array) => {
    const out = alloc.floats(a.length);
    if (out.length === a.length) out.set(a);
    return out;
  };
  const g = { ...s.g };
  const d = { ...s.d };
  const gm = { ...s.gm };
  const dm = { ...s.dm };
  for (const t of G_TABLES) {
    g[t] = copy(s.g[t]);
    gm[t] = { m: copy(s.gm[t].m), v: copy(s.gm[t].v) };
  }
  for (const t of D_TABLES) {
    d[t] = copy(s.d[t]);
    dm[t] = { m: copy(s.dm[t].m), v: copy(s.dm[t].v) };
  }
  return { g, d, gm, dm };
}

/**
 * The row loops for this run: the SIMD kernels when the runtime has them and the weights,
 * moments and buffers fit one wasm memory (they are moved there), else the JS loops. Both
 * compute the same floats.
 */
function prepare(s: GanState, train: Csr, c: CfganConfig): { ops: RowOps; w: Work } {
  const width = s.d.width;
  const slot = new Int32Array(width).fill(-1);
  const build = (alloc: Allocator) => ({
    state: copyState(alloc, s),
    w: workBuffers(alloc, width, c),
  });
  if (ganSimdAvailable()) {
    const bytes = arenaBytes(countAllocations((alloc) => void build(alloc)));
    let arena: WasmArena | undefined;
    try {
      if (bytes <= MAX_BYTES) arena = new WasmArena(bytes);
    } catch {
      // No memory of that size here: the JS loops below.
    }
    if (arena) {
      const { state, w } = build(arena);
      Object.assign(s, state);
      return { w, ops: simdOps(arena, train, slot, w, c) };
    }
  }
  return { w: workBuffers(heapAllocator, width, c), ops: jsOps(train, slot) };
}

function jsOps(train: Csr, slot: Int32Array): RowOps {
  const ONE = Int32Array.of(0);
  return {
    transpose,
    gather: (table, dim, users, n, out, bias, csr = train) =>
      gatherSum(table, dim, csr, users, n, out, bias),
    scatter: (users, n, grad, dim, rows, out, csr = train) =>
      scatterRows(csr, users, n, grad, dim, slot, rows, out),
    addInto(table, dim, rows, count, src) {
      for (let k = 0; k < count; k++) {
        const o = rows[k]! * dim;
        for (let f = 0; f < dim; f++) table[o + f] = table[o + f]! + src[k * dim + f]!;
      }
    },
    adamRows: (adam, mo, param, rows, count, grad, dim, rate) =>
      adam.apply(mo, param, rows, count, grad, dim, rate),
    adamDense: (adam, mo, param, grad, rate) =>
      adam.apply(mo, param, ONE, 1, grad, param.length, rate),
  };
}

function simdOps(arena: WasmArena, train: Csr, slot: Int32Array, w: Work, c: CfganConfig): RowOps {
  const kernels = new Map<number, RowKernels>();
  for (const dim of [c.generatorUnits, c.discriminatorUnits])
    if (!kernels.has(dim)) kernels.set(dim, new RowKernels(arena, dim, w.pairs));
  const k = (dim: number) => kernels.get(dim)!;
  const any = k(c.generatorUnits);
  const transposers = new Map<string, TransposeKernel>();
  return {
    transpose(a, rows, cols, out) {
      const key = `${rows}x${cols}`;
      let t = transposers.get(key);
      if (!t) transposers.set(key, (t = new TransposeKernel(arena, rows, cols)));
      t.apply(a, out);
    },
    gather: (table, dim, users, n, out, bias, csr = train) =>
      k(dim).gather(table, csr.indptr, csr.indices, users, n, out, bias),
    scatter: (users, n, grad, dim, rows, out, csr = train) =>
      k(dim).scatter(csr.indptr, csr.indices, users, n, grad, slot, rows, out),
    addInto: (table, dim, rows, count, src) => k(dim).addInto(table, rows, count, src),
    adamRows: (adam, mo, param, rows, count, grad, dim, rate) =>
      k(dim).adamRows(adam, mo, param, rows, count, grad, rate),
    adamDense: (adam, mo, param, grad, rate) => any.adamDense(adam, mo, param, grad, rate),
  };
}

/** `out` = the transpose of the (rows x cols) matrix `a`; returns `out`. */
function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  // Blocks of 16 source rows: the reads walk 16 rows side by side, the writes are runs.
  for (let r0 = 0; r0 < rows; r0 += 16) {
    const r1 = Math.min(r0 + 16, rows);
    for (let c = 0; c < cols; c++) {
      const o = c * rows;
      for (let r = r0; r < r1; r++) out[o + r] = a[r * cols + c]!;
    }
  }
  return out;
}

/** Reads tensors back (outside tidy: returning typed arrays from tidy is slow) and frees them. */
function read(ts: tf.Tensor[]): Float32Array[] {
  const out = ts.map((t) => t.dataSync() as Float32Array);
  tf.dispose(ts);
  return out;
}
