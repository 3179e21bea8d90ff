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
 * uninterrupted one: every epoch's randomness derives from (seed, epoch).
 */
import { initBackend, tf } from '../compute/backend.ts';
import { NORMAL_TABLE, Rng } from '../data/random.ts';
import type { Csr } from '../eval/types.ts';
import { LazyAdam, moments } from '../models/lazy-adam.ts';
import type { Moments } from '../models/lazy-adam.ts';
import { packState, unpackState } from '../models/train-state.ts';
import { EventLoopYielder, epochRng, shuffled } from '../models/training-loop.ts';
import type { TrainHooks } from '../models/types.ts';
import { glorot, initGenerator } from './generator.ts';
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
  hooks: TrainHooks<GanEpochLog> = {},
): Promise<GanTrainResult> {
  const info = await initBackend();
  const { nItems, train } = data;
  const s = hooks.resumeFrom ? restore(hooks.resumeFrom, nItems, config) : fresh(nItems, config);
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
  const preG = new Float32Array(B * hG);
  const cond = new Float32Array(B * hD);
  const realX = new Float32Array(B * hD);
  const daSum = new Float32Array(B * hD);
  const slot = new Int32Array(nItems).fill(-1);
  const rows = new Int32Array(nItems);
  const rowGrad = new Float32Array(nItems * Math.max(hG, hD));
  const ONE = Int32Array.of(0);
  const biasG = new Float32Array(Math.max(hG, hD));
  const zrT = Math.round(config.zrRatio * 65536);
  const pmT = Math.round(config.pmRatio * 65536);

  /** Dense Adam step on a whole table (one row of its full length). */
  const dense = (adam: LazyAdam, mo: Moments, p: Float32Array, grad: Float32Array, rate: number) =>
    adam.apply(mo, p, ONE, 1, grad, p.length, rate);

  const yielder = new EventLoopYielder();
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
      gatherSum(g.w1, hG, train, bu, n, preG, g.b1);
      const fwd = tf.tidy(() => {
        let pre: tf.Tensor2D = tf.tensor2d(preG.subarray(0, n * hG), [n, hG]);
        const zt = tf.tensor2d(z.subarray(0, n * nz), [n, nz]);
        if (nz > 0) pre = tf.add(pre, tf.matMul(zt, tf.tensor2d(g.wz, [nz, hG])));
        const h = tf.sigmoid(pre);
        const w2 = tf.tensor2d(g.w2, [hG, nItems]);
        const out = tf.sigmoid(tf.add(tf.matMul(h, w2), tf.tensor1d(g.b2)));
        const m = tf.tensor2d(mask.subarray(0, n * nItems), [n, nItems]);
        return { h, out, fake: tf.mul(out, m), m, w2, zt };
      });

      // Discriminator step: real e_u against the masked fake.
      gatherSum(d.wc, hD, train, bu, n, cond, d.b1);
      gatherSum(d.wx, hD, train, bu, n, realX);
      const dOut = tf.tidy(() => {
        const c = tf.tensor2d(cond.subarray(0, n * hD), [n, hD]);
        const wx = tf.tensor2d(d.wx, [nItems, hD]);
        const w2 = tf.tensor2d(d.w2, [hD, 1]);
        const w2row = tf.reshape(w2, [1, hD]);
        const b2 = tf.scalar(d.b2[0]!);
        const hr = tf.sigmoid(tf.add(c, tf.tensor2d(realX.subarray(0, n * hD), [n, hD])));
        const hf = tf.sigmoid(tf.add(c, tf.matMul(fwd.fake, wx)));
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
          tf.matMul(tf.transpose(fwd.fake), daf),
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
      for (let k = 0; k < n * hD; k++) daSum[k] = dar![k]! + daf![k]!;
      let rate = s.dAdam.begin();
      // wx: the dense fake part plus the real vector's rows.
      const rc = scatterRows(train, bu, n, dar!, hD, slot, rows, rowGrad);
      for (let k = 0; k < rc; k++) {
        const o = rows[k]! * hD;
        for (let f = 0; f < hD; f++) gWx![o + f] = gWx![o + f]! + rowGrad[k * hD + f]!;
      }
      dense(s.dAdam, s.dm.wx, d.wx, gWx!, rate);
      const cc = scatterRows(train, bu, n, daSum, hD, slot, rows, rowGrad);
      s.dAdam.apply(s.dm.wc, d.wc, rows, cc, rowGrad, hD, rate);
      sumOverRows(daSum, n, hD, biasG.subarray(0, hD));
      dense(s.dAdam, s.dm.b1, d.b1, biasG.subarray(0, hD), rate);
      dense(s.dAdam, s.dm.w2, d.w2, gW2!, rate);
      dense(s.dAdam, s.dm.b2, d.b2, gB2!, rate);

      // Generator step against the updated discriminator.
      gatherSum(d.wc, hD, train, bu, n, cond, d.b1);
      const gOut = tf.tidy(() => {
        const c = tf.tensor2d(cond.subarray(0, n * hD), [n, hD]);
        const wx = tf.tensor2d(d.wx, [nItems, hD]);
        const w2 = tf.tensor2d(d.w2, [hD, 1]);
        const hf = tf.sigmoid(tf.add(c, tf.matMul(fwd.fake, wx)));
        const of = tf.add(tf.matMul(hf, w2), tf.scalar(d.b2[0]!));
        const zrm = tf.tensor2d(zr.subarray(0, n * nItems), [n, nItems]);
        const { out, h } = fwd;
        // log(1 - D(fake)) + alpha * sum over ZR items of out^2, batch means.
        const loss = tf.add(
          tf.mean(tf.logSigmoid(tf.neg(of))),
          tf.mul(alpha / n, tf.sum(tf.mul(zrm, tf.square(out)))),
        );
        const dof = tf.div(tf.neg(tf.sigmoid(of)), n);
        const daf = tf.mul(tf.mul(dof, tf.reshape(w2, [1, hD])), tf.mul(hf, tf.sub(1, hf)));
        const dfake = tf.transpose(tf.matMul(wx, tf.transpose(daf)));
        const dout = tf.add(tf.mul(dfake, fwd.m), tf.mul((2 * alpha) / n, tf.mul(zrm, out)));
        const dlogit = tf.mul(dout, tf.mul(out, tf.sub(1, out)));
        // dlogit W2^T computed as (W2 dlogit^T)^T: transposing the two small matrices
        // is cheaper than transposing the hidden x catalog W2 (wasm matmul has no fast
        // transposed variant).
        const dh = tf.transpose(tf.matMul(fwd.w2, tf.transpose(dlogit)));
        const dpre = tf.mul(dh, tf.mul(h, tf.sub(1, h)));
        return [
          tf.matMul(tf.transpose(h), dlogit),
          tf.sum(dlogit, 0),
          dpre,
          nz > 0 ? tf.matMul(tf.transpose(fwd.zt), dpre) : tf.zeros([1]),
          loss,
        ];
      });
      tf.dispose(Object.values(fwd));
      const [gGW2, gGB2, dpre, gWz, gLoss] = read(gOut);
      gLossSum += gLoss![0]!;
      rate = s.gAdam.begin();
      dense(s.gAdam, s.gm.w2, g.w2, gGW2!, rate);
      dense(s.gAdam, s.gm.b2, g.b2, gGB2!, rate);
      const gc = scatterRows(train, bu, n, dpre!, hG, slot, rows, rowGrad);
      s.gAdam.apply(s.gm.w1, g.w1, rows, gc, rowGrad, hG, rate);
      sumOverRows(dpre!, n, hG, biasG.subarray(0, hG));
      dense(s.gAdam, s.gm.b1, g.b1, biasG.subarray(0, hG), rate);
      if (nz > 0) dense(s.gAdam, s.gm.wz, g.wz, gWz!, rate);
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
    if (hooks.onCheckpoint && hooks.checkpointEvery && epoch % hooks.checkpointEvery === 0)
      await hooks.onCheckpoint(serialize(s, config), epoch);
  }
  return { generator: g, history: s.history, backend: info.name };
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
 * draw serves both).
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
  for (let r = 0; r < n; r++) {
    const o = r * nItems;
    mask.fill(0, o, o + nItems);
    const u = users[r]!;
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) mask[o + indices[p]!] = 2; // interacted
    for (let j = 0; j < nItems; j++) {
      if (mask[o + j] === 2) {
        mask[o + j] = 1;
        zr[o + j] = 0;
        continue;
      }
      const x = rng.u32();
      zr[o + j] = (x & 0xffff) < zrT ? 1 : 0;
      mask[o + j] = x >>> 16 < pmT ? 1 : 0;
    }
  }
}

function fresh(nItems: number, c: CfganConfig): GanState {
  const rng = new Rng(c.seed);
  const normal = () => rng.normal();
  const g = initGenerator(nItems, c.generatorUnits, c.noiseDim, normal);
  const hD = c.discriminatorUnits;
  const d: DiscriminatorWeights = {
    nItems,
    hidden: hD,
    wc: glorot(nItems, hD, normal),
    wx: glorot(nItems, hD, normal),
    b1: new Float32Array(hD),
    w2: glorot(hD, 1, normal),
    b2: new Float32Array(1),
  };
  return withOptimizers(0, g, d, c, []);
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
  const s = fresh(nItems, c);
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
