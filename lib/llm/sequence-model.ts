/**
 * The no-LLM default: a small causal transformer over item-id sequences (one pre-residual
 * self-attention block with a ReLU feed-forward, learned positions, item embeddings tied
 * between input and output, SASRec-like). It predicts a user's next item; among candidates
 * the most likely is "liked" and the least likely "disliked".
 *
 * tfjs-core's Node build registers no gradient functions, so the backward pass is written
 * out below (checked against finite differences in the tests). Parameters live in typed
 * arrays; the tensors of a step are created and freed inside it.
 */
import { tf } from '../compute/backend.ts';
import type { Rng } from '../training/random.ts';

export interface SequenceModelShape {
  nItems: number;
  /** Embedding width. */
  dim: number;
  /** Context length (items before the predicted one). */
  window: number;
  /** Feed-forward width. */
  hidden: number;
}

/** Parameter tensors by name; `emb` has a last all-zero row for padding. */
export interface SequenceParams {
  emb: Float32Array;
  bias: Float32Array;
  pos: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

export type ParamName = keyof SequenceParams;
export const PARAM_NAMES: readonly ParamName[] = [
  'emb',
  'bias',
  'pos',
  'wq',
  'wk',
  'wv',
  'wo',
  'w1',
  'b1',
  'w2',
  'b2',
];

/** Rows x columns of every parameter (emb includes the padding row). */
export function paramShapes(s: SequenceModelShape): Record<ParamName, [number, number]> {
  const { nItems, dim: d, window: L, hidden: h } = s;
  return {
    emb: [nItems + 1, d],
    bias: [nItems, 1],
    pos: [L, d],
    wq: [d, d],
    wk: [d, d],
    wv: [d, d],
    wo: [d, d],
    w1: [d, h],
    b1: [h, 1],
    w2: [h, d],
    b2: [d, 1],
  };
}

export function initParams(s: SequenceModelShape, rng: Rng): SequenceParams {
  const shapes = paramShapes(s);
  const uniform = (rows: number, cols: number, limit: number) => {
    const a = new Float32Array(rows * cols);
    for (let k = 0; k < a.length; k++) a[k] = (rng.next() * 2 - 1) * limit;
    return a;
  };
  const glorot = (name: ParamName) => {
    const [r, c] = shapes[name];
    return uniform(r, c, Math.sqrt(6 / (r + c)));
  };
  const emb = uniform(s.nItems + 1, s.dim, 0.05);
  emb.fill(0, s.nItems * s.dim);
  return {
    emb,
    bias: new Float32Array(s.nItems),
    pos: uniform(s.window, s.dim, 0.05),
    wq: glorot('wq'),
    wk: glorot('wk'),
    wv: glorot('wv'),
    wo: glorot('wo'),
    w1: glorot('w1'),
    b1: new Float32Array(s.hidden),
    w2: glorot('w2'),
    b2: new Float32Array(s.dim),
  };
}

/** A batch of contexts: `ids[b * window + s]`, padding = nItems (left-padded). */
export interface ContextBatch {
  size: number;
  ids: Int32Array;
}

/** Embedding plus position of every slot, and the causal/padding attention mask. */
function inputs(s: SequenceModelShape, p: SequenceParams, batch: ContextBatch) {
  const { dim: d, window: L, nItems } = s;
  const x = new Float32Array(batch.size * L * d);
  const mask = new Float32Array(batch.size * L * L);
  for (let b = 0; b < batch.size; b++) {
    for (let q = 0; q < L; q++) {
      const id = batch.ids[b * L + q]!;
      const o = (b * L + q) * d;
      for (let f = 0; f < d; f++) x[o + f] = p.emb[id * d + f]! + p.pos[q * d + f]!;
      // A slot sees itself and earlier slots, never padding (pad queries are never scored).
      for (let k = 0; k < L; k++)
        if (k > q || batch.ids[b * L + k] === nItems) mask[(b * L + q) * L + k] = -1e9;
    }
  }
  return { x, mask };
}

/** The forward pass as tensors (call inside tf.tidy). */
function forward(s: SequenceModelShape, p: SequenceParams, batch: ContextBatch) {
  const { dim: d, window: L, hidden: h } = s;
  const B = batch.size;
  const { x, mask } = inputs(s, p, batch);
  const w = (a: Float32Array, r: number, c: number) => tf.tensor2d(a, [r, c]);
  const W = {
    q: w(p.wq, d, d),
    k: w(p.wk, d, d),
    v: w(p.wv, d, d),
    o: w(p.wo, d, d),
    w1: w(p.w1, d, h),
    w2: w(p.w2, h, d),
  };
  const x2 = tf.tensor2d(x, [B * L, d]);
  const q = tf.reshape(tf.matMul(x2, W.q), [B, L, d]);
  const k = tf.reshape(tf.matMul(x2, W.k), [B, L, d]);
  const v = tf.reshape(tf.matMul(x2, W.v), [B, L, d]);
  const scale = 1 / Math.sqrt(d);
  const scores = tf.add(
    tf.mul(tf.matMul(q, tf.transpose(k, [0, 2, 1])), scale),
    tf.tensor3d(mask, [B, L, L]),
  );
  const a = tf.softmax(scores);
  const hAtt = tf.reshape(tf.matMul(a, v), [B * L, d]);
  const z = tf.add(x2, tf.matMul(hAtt, W.o));
  const pre = tf.add(tf.matMul(z, W.w1), tf.tensor1d(p.b1));
  const r = tf.relu(pre);
  const y = tf.add(tf.add(z, tf.matMul(r, W.w2)), tf.tensor1d(p.b2));
  return { W, x2, q, k, v, a, hAtt, z, pre, r, y, scale, B, L, d };
}

/** Output vectors of the last slot of each context (the prediction point), `size x dim`. */
export function encodeLast(s: SequenceModelShape, p: SequenceParams, batch: ContextBatch) {
  const t = tf.tidy(() => {
    const f = forward(s, p, batch);
    return tf.slice(tf.reshape(f.y, [f.B, f.L, f.d]), [0, f.L - 1, 0], [f.B, 1, f.d]);
  });
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return Float32Array.from(out);
}

/** Score of item `item` for output vector `y[row]`: tied embedding dot product plus bias. */
export function itemScore(
  p: SequenceParams,
  dim: number,
  y: Float32Array,
  row: number,
  item: number,
): number {
  let s = p.bias[item]!;
  for (let f = 0; f < dim; f++) s += y[row * dim + f]! * p.emb[item * dim + f]!;
  return s;
}

/** A training batch: contexts plus the next item of every slot (-1 = no target). */
export interface TrainBatch extends ContextBatch {
  targets: Int32Array;
  /** Shared sampled negatives of the sampled softmax. */
  negatives: Int32Array;
}

/** Loss and gradients of one batch (dense for weights; per-row for embedding rows). */
export interface StepGradients {
  loss: number;
  /** Predictions scored. */
  count: number;
  /** Gradient of every parameter, same layout as the parameters (emb/bias dense). */
  grads: SequenceParams;
}

/**
 * Sampled-softmax next-item loss (target vs the shared negatives; a negative equal to the
 * target is masked) and its gradients, by hand.
 */
export function lossAndGradients(
  s: SequenceModelShape,
  p: SequenceParams,
  batch: TrainBatch,
  grads: SequenceParams,
): StepGradients {
  const { dim: d, nItems } = s;
  const BL = batch.size * s.window;
  const S = batch.negatives.length;
  // Target and negative embedding rows, validity, accidental-hit mask: built in JS.
  const eT = new Float32Array(BL * d);
  const bT = new Float32Array(BL);
  const valid = new Float32Array(BL);
  let count = 0;
  for (let k = 0; k < BL; k++) {
    const t = batch.targets[k]!;
    if (t < 0) continue;
    valid[k] = 1;
    count++;
    eT.set(p.emb.subarray(t * d, t * d + d), k * d);
    bT[k] = p.bias[t]!;
  }
  const eS = new Float32Array(S * d);
  const bS = new Float32Array(S);
  const negIndex = new Map<number, number>();
  for (let j = 0; j < S; j++) {
    const it = batch.negatives[j]!;
    eS.set(p.emb.subarray(it * d, it * d + d), j * d);
    bS[j] = p.bias[it]!;
    negIndex.set(it, j);
  }
  const hit = new Float32Array(BL * S);
  for (let k = 0; k < BL; k++) {
    const j = negIndex.get(batch.targets[k]!);
    if (j !== undefined) hit[k * S + j] = -1e9;
  }
  if (count === 0) return { loss: 0, count, grads: zeroGrads(grads) };
  const inv = 1 / count;

  const out = tf.tidy(() => {
    const f = forward(s, p, batch);
    const eTt = tf.tensor2d(eT, [BL, d]);
    const eSt = tf.tensor2d(eS, [S, d]);
    const validT = tf.tensor2d(valid, [BL, 1]);
    const lt = tf.add(tf.sum(tf.mul(f.y, eTt), 1, true), tf.tensor2d(bT, [BL, 1]));
    const ln = tf.add(
      tf.add(tf.matMul(f.y, tf.transpose(eSt)), tf.tensor1d(bS)),
      tf.tensor2d(hit, [BL, S]),
    );
    const lse = tf.logSumExp(tf.concat([lt, ln], 1), 1, true);
    const loss = tf.sum(tf.mul(tf.sub(lse, lt), validT));
    const dlt = tf.mul(tf.sub(tf.exp(tf.sub(lt, lse)), 1), tf.mul(validT, inv));
    const dln = tf.mul(tf.exp(tf.sub(ln, lse)), tf.mul(validT, inv));
    const dy = tf.add(tf.mul(dlt, eTt), tf.matMul(dln, eSt));
    const deT = tf.mul(dlt, f.y);
    const deS = tf.matMul(tf.transpose(dln), f.y);
    const dbS = tf.sum(dln, 0);
    // Feed-forward.
    const dW2 = tf.matMul(tf.transpose(f.r), dy);
    const db2 = tf.sum(dy, 0);
    const dpre = tf.mul(tf.matMul(dy, tf.transpose(f.W.w2)), tf.step(f.pre));
    const dW1 = tf.matMul(tf.transpose(f.z), dpre);
    const db1 = tf.sum(dpre, 0);
    const dz = tf.add(dy, tf.matMul(dpre, tf.transpose(f.W.w1)));
    // Attention.
    const dWo = tf.matMul(tf.transpose(f.hAtt), dz);
    const dh = tf.reshape(tf.matMul(dz, tf.transpose(f.W.o)), [f.B, f.L, f.d]);
    const da = tf.matMul(dh, tf.transpose(f.v, [0, 2, 1]));
    const dv = tf.reshape(tf.matMul(tf.transpose(f.a, [0, 2, 1]), dh), [BL, d]);
    const ds = tf.mul(tf.mul(f.a, tf.sub(da, tf.sum(tf.mul(da, f.a), -1, true))), f.scale);
    const dq = tf.reshape(tf.matMul(ds, f.k), [BL, d]);
    const dk = tf.reshape(tf.matMul(tf.transpose(ds, [0, 2, 1]), f.q), [BL, d]);
    const xT = tf.transpose(f.x2);
    const dx = tf.addN([
      dz,
      tf.matMul(dq, tf.transpose(f.W.q)),
      tf.matMul(dk, tf.transpose(f.W.k)),
      tf.matMul(dv, tf.transpose(f.W.v)),
    ]);
    return [
      loss,
      tf.reshape(dlt, [BL]),
      deT,
      deS,
      dbS,
      dx,
      tf.matMul(xT, dq),
      tf.matMul(xT, dk),
      tf.matMul(xT, dv),
      dWo,
      dW1,
      db1,
      dW2,
      db2,
    ];
  });
  const [loss, dlt, deT, deS, dbS, dx, dWq, dWk, dWv, dWo, dW1, db1, dW2, db2] = out.map(
    (t) => t.dataSync() as Float32Array,
  );
  for (const t of out) t.dispose();

  const g = zeroGrads(grads);
  g.wq.set(dWq!);
  g.wk.set(dWk!);
  g.wv.set(dWv!);
  g.wo.set(dWo!);
  g.w1.set(dW1!);
  g.b1.set(db1!);
  g.w2.set(dW2!);
  g.b2.set(db2!);
  // Embedding rows: output side (targets, negatives) and input side (context slots).
  for (let k = 0; k < BL; k++) {
    const t = batch.targets[k]!;
    if (t < 0) continue;
    g.bias[t] = g.bias[t]! + dlt![k]!;
    for (let f = 0; f < d; f++) g.emb[t * d + f] = g.emb[t * d + f]! + deT![k * d + f]!;
  }
  for (let j = 0; j < S; j++) {
    const it = batch.negatives[j]!;
    g.bias[it] = g.bias[it]! + dbS![j]!;
    for (let f = 0; f < d; f++) g.emb[it * d + f] = g.emb[it * d + f]! + deS![j * d + f]!;
  }
  const L = s.window;
  for (let k = 0; k < BL; k++) {
    const id = batch.ids[k]!;
    const slot = k % L;
    for (let f = 0; f < d; f++) {
      const v = dx![k * d + f]!;
      g.pos[slot * d + f] = g.pos[slot * d + f]! + v;
      if (id !== nItems) g.emb[id * d + f] = g.emb[id * d + f]! + v;
    }
  }
  return { loss: loss![0]! * inv, count, grads: g };
}

function zeroGrads(g: SequenceParams): SequenceParams {
  for (const name of PARAM_NAMES) g[name].fill(0);
  return g;
}

export function zerosLike(p: SequenceParams): SequenceParams {
  return Object.fromEntries(
    PARAM_NAMES.map((n) => [n, new Float32Array(p[n].length)]),
  ) as unknown as SequenceParams;
}
