/**
 * CFGAN training (Chae et al., CIKM 2018) with zero-reconstruction (ZR) and partial masking
 * (PM). The generator G maps a user's real vector e_u (the condition) to a vector over the
 * catalog; the discriminator D sees [e_u | x] with x = e_u (real) or G(e_u) * (e_u + k_u)
 * (fake, where k_u are PM-sampled non-interacted items). G also pays zrCoefficient x the
 * squared output on ZR-sampled non-interacted items.
 *
 * Cost: the first layers over e_u are gathers of the user's item rows (sparse-rows.ts);
 * the dense parts (G's output layer, D over the fake vector) are tfjs matmuls. Gradients
 * are written out (tfjs-core's node build has no gradient functions); parameters and Adam
 * moments live in typed arrays, so checkpoints are exact and a resumed run repeats the
 * uninterrupted one: every epoch's randomness derives from (seed, epoch). The row gathers,
 * scatters and Adam steps run as WebAssembly SIMD kernels (kernels.ts) over one wasm
 * memory holding the weights, with the same floats as the JS loops they fall back to.
 */
import { WasmArena, arenaBytes, countAllocations, heapAllocator } from '../compute/arena.ts';
import type { Allocator } from '../compute/arena.ts';
import { initBackend, tf } from '../compute/backend.ts';
import { MAX_BYTES } from '../compute/wasm-writer.ts';
import { NORMAL_TABLE, Rng } from '../training/random.ts';
import type { Csr } from '../eval/types.ts';
import { LazyAdam, moments } from '../training/adam.ts';
import type { Moments } from '../training/adam.ts';
import { packState, unpackState } from '../training/train-state.ts';
import { EventLoopYielder, epochRng, shuffled } from '../training/training-loop.ts';
import type { LoopHooks } from '../training/types.ts';
import { RowKernels, TransposeKernel, ganSimdAvailable } from './kernels.ts';
import { gatherSum, scatterRows, sumOverRows } from './sparse-rows.ts';
import type { CfganConfig, DiscriminatorWeights, GanEpochLog, GeneratorWeights } from './types.ts';

/** The real train split the GAN learns from: nothing else (no valid, no test). */
export interface GanTrainData {
  nUsers: number;
  nItems: number;
  train: Csr;
}

export interface GanTrainResult {
  generator: GeneratorWeights;
  history: GanEpochLog[];
  backend: string;
}

type GTable = 'w1' | 'wz' | 'b1' | 'w2' | 'b2';
type DTable = 'wc' | 'wx' | 'b1' | 'w2' | 'b2';
const G_TABLES: readonly GTable[] = ['w1', 'wz', 'b1', 'w2', 'b2'];
const D_TABLES: readonly DTable[] = ['wc', 'wx', 'b1', 'w2', 'b2'];

interface GanState {
  epoch: number;
  g: GeneratorWeights;
  d: DiscriminatorWeights;
  gAdam: LazyAdam;
  dAdam: LazyAdam;
  gm: Record<GTable, Moments>;
  dm: Record<DTable, Moments>;
  history: GanEpochLog[];
}

export async function trainCfgan(
  data: GanTrainData,
  config: CfganConfig,
  hooks: LoopHooks<GanEpochLog> = {},
): Promise<GanTrainResult> {
  const info = await initBackend();
  const { nItems, train } = data;
  const yielder = new EventLoopYielder();
  const s = hooks.resumeFrom
    ? restore(hooks.resumeFrom, nItems, config)
    : await fresh(nItems, config, () => yielder.maybeYield());
  await yielder.maybeYield();
  const { ops, w } = prepare(s, train, config);
  const { g, d } = s;
  const hG = config.generatorUnits;
  const hD = config.discriminatorUnits;
  const nz = config.noiseDim;
  const B = config.batchSize;
  const alpha = config.zrCoefficient;
  // Users with at least one train item: the ones with a condition to learn from.
  const active = activeUsers(train, data.nUsers);
  // Reused buffers.
  const bu = new Int32Array(B);
  const mask = new Float32Array(B * nItems);
  const zr = new Float32Array(B * nItems);
  const z = new Float32Array(Math.max(1, B * nz));
  const zrT = Math.round(config.zrRatio * 65536);
  const pmT = Math.round(config.pmRatio * 65536);
  // G's output layer is updated in its transposed layout (Adam is elementwise, so the
  // floats are the same); g.w2 and its moments are transposed copies, refreshed per batch
  // (the weights) or per checkpoint (the moments).
  ops.transpose(g.w2, hG, nItems, w.w2T);
  ops.transpose(s.gm.w2.m, hG, nItems, w.w2Tmo.m);
  ops.transpose(s.gm.w2.v, hG, nItems, w.w2Tmo.v);
  ops.transpose(d.wx, nItems, hD, w.wxT);

  await yielder.maybeYield();
  for (let epoch = s.epoch + 1; epoch <= config.epochs; epoch++) {
    const t0 = Date.now();
    const rng = epochRng(config.seed, epoch);
    const order = shuffled(active, rng);
    let dLossSum = 0;
    let gLossSum = 0;
    let dRealSum = 0;
    let dFakeSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += B) {
      hooks.signal?.throwIfAborted();
      const n = Math.min(B, order.length - start);
      bu.set(order.subarray(start, start + n));
      sampleMasks(train, bu, n, nItems, rng, zrT, pmT, mask, zr);
      for (let k = 0; k < n * nz; k++) z[k] = NORMAL_TABLE[rng.u32() & 4095]!;

      // Generator forward; G does not change during the D step, so the G step reuses it.
      // Batch x catalog matrices are kept item-major ([catalog, n], names ending in T): the
      // wasm matmul repacks its second operand on every call (for G's hidden x catalog
      // output layer that cost more than the product), so catalog-sized weights come first,
      // from transposed copies where needed, and no batch x catalog matrix is transposed.
      ops.gather(g.w1, hG, bu, n, w.preG, g.b1);
      const fwd = tf.tidy(() => {
        let pre: tf.Tensor2D = tf.tensor2d(w.preG.subarray(0, n * hG), [n, hG]);
        const zt = tf.tensor2d(z.subarray(0, n * nz), [n, nz]);
        if (nz > 0) pre = tf.add(pre, tf.matMul(zt, tf.tensor2d(g.wz, [nz, hG])));
        const h = tf.sigmoid(pre);
        const w2 = tf.tensor2d(g.w2, [hG, nItems]);
        const w2t = tf.tensor2d(w.w2T, [nItems, hG]);
        const b2 = tf.reshape(tf.tensor1d(g.b2), [nItems, 1]);
        const outT = tf.sigmoid(tf.add(tf.matMul(w2t, tf.transpose(h)), b2));
        const mT = tf.tensor2d(mask.subarray(0, n * nItems), [nItems, n]);
        return { h, outT, fakeT: tf.mul(outT, mT), mT, w2, zt };
      });

      // Discriminator step: real e_u against the masked fake.
      ops.gather(d.wc, hD, bu, n, w.cond, d.b1);
      ops.gather(d.wx, hD, bu, n, w.realX);
      const dOut = tf.tidy(() => {
        const c = tf.tensor2d(w.cond.subarray(0, n * hD), [n, hD]);
        const wxt = tf.tensor2d(w.wxT, [hD, nItems]);
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
      const [dar, daf, gWx, gW2, gB2, dLoss, dReal, dFake] = read(dOut);
      dLossSum += dLoss![0]!;
      dRealSum += dReal![0]!;
      dFakeSum += dFake![0]!;
      for (let k = 0; k < n * hD; k++) w.daSum[k] = dar![k]! + daf![k]!;
      w.dar.set(dar!);
      let rate = s.dAdam.begin();
      // wx: the dense fake part plus the real vector's rows.
      const rc = ops.scatter(bu, n, w.dar, hD, w.rows, w.rowGrad);
      w.dWx.set(gWx!);
      ops.addInto(w.dWx, hD, w.rows, rc, w.rowGrad);
      ops.adamDense(s.dAdam, s.dm.wx, d.wx, w.dWx, rate);
      ops.transpose(d.wx, nItems, hD, w.wxT);
      const cc = ops.scatter(bu, n, w.daSum, hD, w.rows, w.rowGrad);
      ops.adamRows(s.dAdam, s.dm.wc, d.wc, w.rows, cc, w.rowGrad, hD, rate);
      sumOverRows(w.daSum, n, hD, w.dB1);
      ops.adamDense(s.dAdam, s.dm.b1, d.b1, w.dB1, rate);
      w.dW2.set(gW2!);
      ops.adamDense(s.dAdam, s.dm.w2, d.w2, w.dW2, rate);
      w.dB2.set(gB2!);
      ops.adamDense(s.dAdam, s.dm.b2, d.b2, w.dB2, rate);
      // The D and G steps may each end a turn of the event loop (a turn then lasts about
      // half a batch beyond the yielder's 100 ms); nothing depends on when it resumes.
      await yielder.maybeYield();

      // Generator step against the updated discriminator.
      ops.gather(d.wc, hD, bu, n, w.cond, d.b1);
      const gOut = tf.tidy(() => {
        const c = tf.tensor2d(w.cond.subarray(0, n * hD), [n, hD]);
        const wx = tf.tensor2d(d.wx, [nItems, hD]);
        const wxt = tf.tensor2d(w.wxT, [hD, nItems]);
        const w2 = tf.tensor2d(d.w2, [hD, 1]);
        const hf = tf.sigmoid(tf.add(c, tf.transpose(tf.matMul(wxt, fwd.fakeT))));
        const of = tf.add(tf.matMul(hf, w2), tf.scalar(d.b2[0]!));
        const zrT = tf.tensor2d(zr.subarray(0, n * nItems), [nItems, n]);
        const { outT, h } = fwd;
        // log(1 - D(fake)) + alpha * sum over ZR items of out^2, batch means.
        const loss = tf.add(
          tf.mean(tf.logSigmoid(tf.neg(of))),
          tf.mul(alpha / n, tf.sum(tf.mul(zrT, tf.square(outT)))),
        );
        const dof = tf.div(tf.neg(tf.sigmoid(of)), n);
        const daf = tf.mul(tf.mul(dof, tf.reshape(w2, [1, hD])), tf.mul(hf, tf.sub(1, hf)));
        const dfakeT = tf.matMul(wx, tf.transpose(daf));
        const doutT = tf.add(tf.mul(dfakeT, fwd.mT), tf.mul((2 * alpha) / n, tf.mul(zrT, outT)));
        const dlogitT = tf.mul(doutT, tf.mul(outT, tf.sub(1, outT)));
        const dh = tf.transpose(tf.matMul(fwd.w2, dlogitT));
        const dpre = tf.mul(dh, tf.mul(h, tf.sub(1, h)));
        return [
          // W2's gradient transposed ([catalog, hidden]); transposed back in the arena.
          tf.matMul(dlogitT, h),
          tf.sum(dlogitT, 1),
          dpre,
          nz > 0 ? tf.matMul(tf.transpose(fwd.zt), dpre) : tf.zeros([1]),
          loss,
        ];
      });
      tf.dispose(Object.values(fwd));
      const [gGW2T, gGB2, dpre, gWz, gLoss] = read(gOut);
      gLossSum += gLoss![0]!;
      rate = s.gAdam.begin();
      w.gW2T.set(gGW2T!);
      ops.adamDense(s.gAdam, w.w2Tmo, w.w2T, w.gW2T, rate);
      ops.transpose(w.w2T, nItems, hG, g.w2);
      w.gB2.set(gGB2!);
      ops.adamDense(s.gAdam, s.gm.b2, g.b2, w.gB2, rate);
      w.dpre.set(dpre!);
      const gc = ops.scatter(bu, n, w.dpre, hG, w.rows, w.rowGrad);
      ops.adamRows(s.gAdam, s.gm.w1, g.w1, w.rows, gc, w.rowGrad, hG, rate);
      sumOverRows(w.dpre, n, hG, w.gB1);
      ops.adamDense(s.gAdam, s.gm.b1, g.b1, w.gB1, rate);
      if (nz > 0) {
        w.gWz.set(gWz!);
        ops.adamDense(s.gAdam, s.gm.wz, g.wz, w.gWz, rate);
      }
      batches++;
      await yielder.maybeYield();
    }
    const log: GanEpochLog = {
      epoch,
      dLoss: dLossSum / Math.max(batches, 1),
      gLoss: gLossSum / Math.max(batches, 1),
      dReal: dRealSum / Math.max(batches, 1),
      dFake: dFakeSum / Math.max(batches, 1),
      samples: order.length,
      seconds: (Date.now() - t0) / 1000,
    };
    s.history.push(log);
    s.epoch = epoch;
    await hooks.onEpoch?.(log);
    if (hooks.onCheckpoint && hooks.checkpointEvery && epoch % hooks.checkpointEvery === 0) {
      ops.transpose(w.w2Tmo.m, nItems, hG, s.gm.w2.m);
      ops.transpose(w.w2Tmo.v, nItems, hG, s.gm.w2.v);
      await hooks.onCheckpoint(serialize(s, config), epoch);
    }
  }
  // Copies: the arrays may be views into the kernels' wasm memory, which they would keep.
  const generator = { ...g };
  for (const t of G_TABLES) generator[t] = g[t].slice();
  return { generator, history: s.history, backend: info.name };
}

/** The per-batch row loops: JS over heap arrays, or SIMD kernels over one wasm arena. */
interface RowOps {
  /** gatherSum over the train split (sparse-rows.ts). */
  gather(
    table: Float32Array,
    dim: number,
    users: Int32Array,
    n: number,
    out: Float32Array,
    bias?: Float32Array,
  ): void;
  /** scatterRows over the train split (sparse-rows.ts). */
  scatter(
    users: Int32Array,
    n: number,
    grad: Float32Array,
    dim: number,
    outRows: Int32Array,
    outGrad: Float32Array,
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
  dWx: Float32Array;
  dW2: Float32Array;
  dB1: Float32Array;
  dB2: Float32Array;
}

function workBuffers(alloc: Allocator, nItems: number, c: CfganConfig): Work {
  const { generatorUnits: hG, discriminatorUnits: hD, noiseDim: nz, batchSize: B } = c;
  const f = (n: number) => alloc.floats(n);
  return {
    preG: f(B * hG),
    cond: f(B * hD),
    realX: f(B * hD),
    daSum: f(B * hD),
    dar: f(B * hD),
    dpre: f(B * hG),
    rowGrad: f(nItems * Math.max(hG, hD)),
    rows: alloc.ints(nItems),
    pairs: alloc.ints(2 * 16384),
    w2T: f(hG * nItems),
    w2Tmo: { m: f(hG * nItems), v: f(hG * nItems) },
    wxT: f(nItems * hD),
    gW2T: f(nItems * hG),
    gB2: f(nItems),
    gB1: f(hG),
    gWz: f(nz * hG),
    dWx: f(nItems * hD),
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
  const nItems = s.g.nItems;
  const slot = new Int32Array(nItems).fill(-1);
  const build = (alloc: Allocator) => ({
    state: copyState(alloc, s),
    w: workBuffers(alloc, nItems, c),
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
  return { w: workBuffers(heapAllocator, nItems, c), ops: jsOps(train, slot) };
}

function jsOps(train: Csr, slot: Int32Array): RowOps {
  const ONE = Int32Array.of(0);
  return {
    transpose,
    gather: (table, dim, users, n, out, bias) => gatherSum(table, dim, train, users, n, out, bias),
    scatter: (users, n, grad, dim, rows, out) =>
      scatterRows(train, users, n, grad, dim, slot, rows, out),
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
  const { indptr, indices } = train;
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
    gather: (table, dim, users, n, out, bias) =>
      k(dim).gather(table, indptr, indices, users, n, out, bias),
    scatter: (users, n, grad, dim, rows, out) =>
      k(dim).scatter(indptr, indices, users, n, grad, slot, rows, out),
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

function activeUsers(train: Csr, nUsers: number): Int32Array {
  const out = new Int32Array(nUsers);
  let n = 0;
  for (let u = 0; u < nUsers; u++) if (train.indptr[u + 1]! > train.indptr[u]!) out[n++] = u;
  return out.slice(0, n);
}

/**
 * Per user of the batch: `mask` = e_u + k_u (PM) and `zr` = the ZR sample, both drawn among
 * the user's non-interacted items with probabilities pmT/65536 and zrT/65536 (one 32-bit
 * draw serves both). Both are written item-major: user r's item j at `j * n + r`.
 */
function sampleMasks(
  train: Csr,
  users: Int32Array,
  n: number,
  nItems: number,
  rng: Rng,
  zrT: number,
  pmT: number,
  mask: Float32Array,
  zr: Float32Array,
): void {
  const { indptr, indices } = train;
  mask.fill(0, 0, n * nItems);
  for (let r = 0; r < n; r++) {
    const u = users[r]!;
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) mask[indices[p]! * n + r] = 2; // interacted
    for (let j = 0, o = r; j < nItems; j++, o += n) {
      if (mask[o] === 2) {
        mask[o] = 1;
        zr[o] = 0;
        continue;
      }
      // Branch-free `low < zrT ? 1 : 0` (the draws are coin flips a predictor cannot learn).
      const x = rng.u32();
      zr[o] = ((x & 0xffff) - zrT) >>> 31;
      mask[o] = ((x >>> 16) - pmT) >>> 31;
    }
  }
}

/** Zero weights and moments of this shape. */
function zeroState(nItems: number, c: CfganConfig): GanState {
  const { generatorUnits: hG, discriminatorUnits: hD, noiseDim: nz } = c;
  const f = (n: number) => new Float32Array(n);
  const g: GeneratorWeights = {
    nItems,
    hidden: hG,
    noiseDim: nz,
    w1: f(nItems * hG),
    wz: f(nz * hG),
    b1: f(hG),
    w2: f(hG * nItems),
    b2: f(nItems),
  };
  const d: DiscriminatorWeights = {
    nItems,
    hidden: hD,
    wc: f(nItems * hD),
    wx: f(nItems * hD),
    b1: f(hD),
    w2: f(hD),
    b2: f(1),
  };
  return withOptimizers(0, g, d, c, []);
}

/**
 * Seeded initial weights: glorot (generator.ts) for each weight matrix, drawn in the order
 * of initGenerator and then the discriminator's, zero biases. `pause` is awaited between
 * chunks of draws (catalog-sized tables take a second at 10K items).
 */
async function fresh(nItems: number, c: CfganConfig, pause: () => Promise<void>) {
  const s = zeroState(nItems, c);
  const rng = new Rng(c.seed);
  const { generatorUnits: hG, discriminatorUnits: hD, noiseDim: nz } = c;
  const { g, d } = s;
  const tables: [Float32Array, number, number][] = [
    [g.w1, nItems, hG],
    [g.wz, nz, hG],
    [g.w2, hG, nItems],
    [d.wc, nItems, hD],
    [d.wx, nItems, hD],
    [d.w2, hD, 1],
  ];
  for (const [a, rows, cols] of tables) {
    const std = Math.sqrt(2 / (rows + cols));
    for (let k0 = 0; k0 < a.length; k0 += 65536) {
      const k1 = Math.min(a.length, k0 + 65536);
      for (let k = k0; k < k1; k++) a[k] = std * rng.normal();
      await pause();
    }
  }
  return s;
}

function withOptimizers(
  epoch: number,
  g: GeneratorWeights,
  d: DiscriminatorWeights,
  c: CfganConfig,
  history: GanEpochLog[],
): GanState {
  return {
    epoch,
    g,
    d,
    gAdam: new LazyAdam(c.learningRate),
    dAdam: new LazyAdam(c.learningRate),
    gm: Object.fromEntries(G_TABLES.map((t) => [t, moments(g[t].length)])) as GanState['gm'],
    dm: Object.fromEntries(D_TABLES.map((t) => [t, moments(d[t].length)])) as GanState['dm'],
    history,
  };
}

function serialize(s: GanState, c: CfganConfig): Uint8Array {
  const arrays: Record<string, Float32Array> = {};
  for (const t of G_TABLES) {
    arrays[`g.${t}`] = s.g[t];
    arrays[`g.${t}.m`] = s.gm[t].m;
    arrays[`g.${t}.v`] = s.gm[t].v;
  }
  for (const t of D_TABLES) {
    arrays[`d.${t}`] = s.d[t];
    arrays[`d.${t}.m`] = s.dm[t].m;
    arrays[`d.${t}.v`] = s.dm[t].v;
  }
  return packState(
    {
      family: 'cfgan',
      epoch: s.epoch,
      nItems: s.g.nItems,
      shape: shapeOf(c),
      gStep: s.gAdam.step,
      dStep: s.dAdam.step,
      history: s.history,
    },
    arrays,
  );
}

function shapeOf(c: CfganConfig): string {
  return `${c.generatorUnits}/${c.discriminatorUnits}/${c.noiseDim}`;
}

function restore(bytes: Uint8Array, nItems: number, c: CfganConfig): GanState {
  const { header: h, arrays: a } = unpackState(bytes);
  if (h.family !== 'cfgan' || h.nItems !== nItems || h.shape !== shapeOf(c))
    throw new Error(
      `checkpoint does not match this GAN (${String(h.family)} ${String(h.nItems)} items, ${String(h.shape)})`,
    );
  const s = zeroState(nItems, c);
  for (const t of G_TABLES) {
    s.g[t].set(a[`g.${t}`]!);
    s.gm[t].m.set(a[`g.${t}.m`]!);
    s.gm[t].v.set(a[`g.${t}.v`]!);
  }
  for (const t of D_TABLES) {
    s.d[t].set(a[`d.${t}`]!);
    s.dm[t].m.set(a[`d.${t}.m`]!);
    s.dm[t].v.set(a[`d.${t}.v`]!);
  }
  s.gAdam.step = h.gStep as number;
  s.dAdam.step = h.dStep as number;
  s.epoch = h.epoch as number;
  s.history = h.history as GanEpochLog[];
  return s;
}
