/**
 * The batch math of BPR-MF: loss and gradients of x = <u, i - j> + b_i - b_j with
 * loss = (-sum w log sigmoid(x) + l2 (|u|^2 + |i|^2 + |j|^2)) / n, summed per distinct
 * table row (what the lazy Adam step takes), written out three times:
 *
 * - `simd`: WebAssembly SIMD over tables held in a wasm memory (bpr-simd.ts), with the lazy
 *   Adam rows in SIMD too; the fastest on CPU workers. Needs a factor count divisible by 4.
 * - `typed`: one pass of plain loops that reads the embedding tables in place and adds each
 *   sample's gradient straight into its row's sum. A batch is ~2,048 x 64 multiply-adds per
 *   gradient row, far too little work to amortise a tensor library's per-op dispatch, so on
 *   CPU workers this is several times faster than the same math as tfjs ops.
 * - `tfjs`: gathers the rows, computes per-sample gradients as tfjs ops (for native
 *   backends: tfjs-node, tfjs-node-gpu), then adds them into the same sums in the same order.
 *
 * `auto` picks simd (else typed) on the wasm and cpu backends and tfjs on the native ones,
 * whose per-op cost is lower and which may sit on a GPU (not measured here). tfjs-core's
 * node build registers no gradient functions, so the tfjs path is written out too.
 *
 * With `model.optimizer: sgd` there is no batch gradient: each sample takes a plain SGD step
 * on its three rows before the next sample is scored (as the `implicit` library's BPR does),
 * which is sequential scalar-sized work, so only simd and typed run it (auto: simd, else
 * typed, on every backend).
 */
import { WasmArena, arenaBytes, countAllocations, heapAllocator } from '../../compute/arena.ts';
import type { Allocator } from '../../compute/arena.ts';
import { tf } from '../../compute/backend.ts';
import { MAX_BYTES } from '../../compute/wasm-writer.ts';
import type { BprMfWeights } from './bpr-mf.ts';
import { SimdAdam, simdAdamAvailable } from '../../training/adam-simd.ts';
import { BprSimd, bprSimdAvailable } from './bpr-simd.ts';
import { logSigmoid, sgdSteps, sgdSums } from './bpr-sgd.ts';
import type { LazyAdam } from '../../training/adam.ts';

export type BprKernelSetting = 'auto' | 'simd' | 'typed' | 'tfjs';
export type BprKernelName = Exclude<BprKernelSetting, 'auto'>;

/**
 * One batch: its samples (user, positive item, negative item, weight), each sample's slot
 * among the distinct rows the batch touches, and the per-row gradient sums a kernel fills.
 * All buffers are sized for the largest batch once and reused.
 */
export class BprBatch {
  n = 0;
  readonly user: Int32Array;
  readonly pos: Int32Array;
  readonly neg: Int32Array;
  readonly weight: Float32Array;
  /** Per sample: the index of its user / positive / negative row in userRows / itemRows. */
  readonly uSlot: Int32Array;
  readonly iSlot: Int32Array;
  readonly jSlot: Int32Array;
  /** Distinct rows touched, in first-seen order (positives and negatives share itemRows). */
  readonly userRows: Int32Array;
  readonly itemRows: Int32Array;
  nUserRows = 0;
  nItemRows = 0;
  /** Gradient sums per distinct row: `slot * dim ..` (biases: `slot`). */
  readonly gUser: Float32Array;
  readonly gItem: Float32Array;
  readonly gBias: Float32Array;
  /** The simd kernel's per-sample scratch: x without biases, squared norms, dloss/dx. */
  readonly x: Float32Array;
  readonly sq: Float32Array;
  readonly s: Float32Array;
  private readonly userSlotOf: Int32Array;
  private readonly itemSlotOf: Int32Array;

  constructor(
    readonly maxBatch: number,
    readonly dim: number,
    nUsers: number,
    nItems: number,
    alloc: Allocator = heapAllocator,
  ) {
    const B = maxBatch;
    this.user = alloc.ints(B);
    this.pos = alloc.ints(B);
    this.neg = alloc.ints(B);
    this.weight = alloc.floats(B);
    this.uSlot = alloc.ints(B);
    this.iSlot = alloc.ints(B);
    this.jSlot = alloc.ints(B);
    this.userRows = alloc.ints(B);
    this.itemRows = alloc.ints(2 * B);
    this.gUser = alloc.floats(B * dim);
    this.gItem = alloc.floats(2 * B * dim);
    this.gBias = alloc.floats(2 * B);
    this.x = alloc.floats(B);
    this.sq = alloc.floats(B);
    this.s = alloc.floats(B);
    this.userSlotOf = new Int32Array(nUsers).fill(-1);
    this.itemSlotOf = new Int32Array(nItems).fill(-1);
  }

  /** Element counts of the arrays the constructor allocates (to size an arena). */
  static sizes(maxBatch: number, dim: number): number[] {
    return countAllocations((alloc) => new BprBatch(maxBatch, dim, 0, 0, alloc));
  }

  /**
   * After the samples of `n` are written: assigns slots (users; then each sample's positive
   * and negative item, in sample order) and zeroes the sums they will take.
   */
  index(n: number): void {
    this.n = n;
    const { user, pos, neg, uSlot, iSlot, jSlot, userRows, itemRows } = this;
    const us = this.userSlotOf;
    const is = this.itemSlotOf;
    let nu = 0;
    let ni = 0;
    for (let k = 0; k < n; k++) {
      const u = user[k]!;
      let s = us[u]!;
      if (s < 0) us[u] = s = nu++;
      userRows[s] = u;
      uSlot[k] = s;
      const i = pos[k]!;
      s = is[i]!;
      if (s < 0) is[i] = s = ni++;
      itemRows[s] = i;
      iSlot[k] = s;
      const j = neg[k]!;
      s = is[j]!;
      if (s < 0) is[j] = s = ni++;
      itemRows[s] = j;
      jSlot[k] = s;
    }
    for (let s = 0; s < nu; s++) us[userRows[s]!] = -1;
    for (let s = 0; s < ni; s++) is[itemRows[s]!] = -1;
    this.nUserRows = nu;
    this.nItemRows = ni;
    this.gUser.fill(0, 0, nu * this.dim);
    this.gItem.fill(0, 0, ni * this.dim);
    this.gBias.fill(0, 0, ni);
  }
}

/** Sizes of a training run, for kernels that lay out memory up front. */
export interface BprShape {
  nUsers: number;
  nItems: number;
  dim: number;
  maxBatch: number;
  /** `sgd`: per-sample steps, no Adam moments. Adam when absent. */
  optimizer?: BprOptimizer;
  /** simd: put the tables in a memory that BPR-MF's threads share (bpr-threads.ts). */
  shared?: boolean;
  /** simd: element counts of the threads' own arrays to leave room for (bpr-threads.ts). */
  threadArrays?: number[];
}

export type BprOptimizer = 'adam' | 'sgd';

export interface BprKernel {
  readonly name: BprKernelName;
  /** Where the weights, moments and batch buffers must be allocated for this kernel. */
  readonly alloc: Allocator;
  /** Fills the batch's gradient sums from the current weights; returns the batch loss. */
  gradients(b: BprBatch, w: BprMfWeights, l2: number): number;
  /** `adam.apply(...args)`, or the same update computed elsewhere (simd: in wasm). */
  adam(adam: LazyAdam, ...args: Parameters<LazyAdam['apply']>): void;
  /**
   * `model.optimizer: sgd`: one SGD step per sample of the batch, in order, on the loss of
   * that sample (learning rate `lr`); returns the batch's mean loss as scored before each
   * step. Uses the batch's samples only (no slots).
   */
  sgd(b: BprBatch, w: BprMfWeights, lr: number, l2: number): number;
}

/** Element counts of a BPR-MF run's weights and Adam moments (see bpr-train.ts). */
export function bprStateSizes(shape: BprShape): number[] {
  const { nUsers, nItems, dim } = shape;
  const copies = shape.optimizer === 'sgd' ? 1 : 3;
  return [nUsers * dim, nItems * dim, nItems].flatMap((n) => new Array<number>(copies).fill(n));
}

/** Bytes of the simd kernel's arena for a run of `shape`. */
export function bprArenaBytes(shape: BprShape): number {
  return arenaBytes([
    ...bprStateSizes(shape),
    ...BprBatch.sizes(shape.maxBatch, shape.dim),
    SUMS_FLOATS,
    ...(shape.threadArrays ?? []),
  ]);
}

/** The kernel `setting` resolves to on `backend`, ready for a run of `shape`. */
export function createBprKernel(
  setting: BprKernelSetting,
  backend: string,
  shape: BprShape,
): BprKernel {
  const bytes = bprArenaBytes(shape);
  const simdFits =
    bprSimdAvailable(shape.dim) && simdAdamAvailable(shape.dim) && bytes <= MAX_BYTES;
  // tfjs only where its per-op cost is low (native backends), and never for per-sample SGD.
  const tensors = backend !== 'wasm' && backend !== 'cpu' && shape.optimizer !== 'sgd';
  const name: BprKernelName =
    setting === 'auto' ? (tensors ? 'tfjs' : simdFits ? 'simd' : 'typed') : setting;
  if (name === 'simd' && !simdFits)
    throw new Error(
      `model.kernel simd: needs WebAssembly SIMD, factors divisible by 4 (got ${shape.dim}) and under 2 GiB of tables (${Math.ceil(bytes / 2 ** 20)} MiB); use auto or typed`,
    );
  if (name === 'tfjs' && shape.optimizer === 'sgd')
    throw new Error('model.optimizer sgd: runs on the simd or typed kernel, not tfjs');
  if (name === 'simd')
    return simdKernel(shape.shared ? WasmArena.shared(bytes) : new WasmArena(bytes), shape.dim);
  const apply: BprKernel['adam'] = (adam, ...args) => adam.apply(...args);
  return {
    name,
    alloc: heapAllocator,
    gradients: name === 'typed' ? typedGradients : tfjsGradients(),
    adam: apply,
    sgd: typedSgd,
  };
}

/** Scratch for sampleScore's second result. */
const norms = new Float64Array(1);

/**
 * x = <u, i - j> + b_i - b_j of one sample (rows at offsets ou, oi, oj; items i and j), and
 * |u|^2 + |i|^2 + |j|^2 into sq[0].
 */
function sampleScore(
  w: BprMfWeights,
  ou: number,
  oi: number,
  oj: number,
  i: number,
  j: number,
  sq: Float64Array,
): number {
  const { users, items, itemBias, dim } = w;
  let x = itemBias[i]! - itemBias[j]!;
  let reg = 0;
  for (let f = 0; f < dim; f++) {
    const u = users[ou + f]!;
    const vi = items[oi + f]!;
    const vj = items[oj + f]!;
    x += u * (vi - vj);
    reg += u * u + vi * vi + vj * vj;
  }
  sq[0] = reg;
  return x;
}

function typedGradients(b: BprBatch, w: BprMfWeights, l2: number): number {
  const { n, dim, user, pos, neg, weight, uSlot, iSlot, jSlot, gUser, gItem, gBias } = b;
  const { users, items } = w;
  const decay = (2 * l2) / n;
  let reg = 0;
  let logLik = 0;
  for (let k = 0; k < n; k++) {
    const ou = user[k]! * dim;
    const oi = pos[k]! * dim;
    const oj = neg[k]! * dim;
    const x = sampleScore(w, ou, oi, oj, pos[k]!, neg[k]!, norms);
    reg += norms[0]!;
    const wk = weight[k]!;
    logLik += wk * logSigmoid(x);
    // d loss / d x = -w sigmoid(-x) / n
    const s = wk / (1 + Math.exp(x)) / n;
    const si = iSlot[k]!;
    const sj = jSlot[k]!;
    gBias[si] = gBias[si]! - s;
    gBias[sj] = gBias[sj]! + s;
    const gu = uSlot[k]! * dim;
    const gi = si * dim;
    const gj = sj * dim;
    for (let f = 0; f < dim; f++) {
      const u = users[ou + f]!;
      const i = items[oi + f]!;
      const j = items[oj + f]!;
      gUser[gu + f] = gUser[gu + f]! + decay * u - s * (i - j);
      gItem[gi + f] = gItem[gi + f]! + decay * i - s * u;
      gItem[gj + f] = gItem[gj + f]! + decay * j + s * u;
    }
  }
  return (l2 * reg - logLik) / n;
}

/**
 * Per sample: x = <u, i - j> + b_i - b_j, s = w sigmoid(-x) (minus d loss / d x), then
 * u += lr (s (i - j) - 2 l2 u), i += lr (s u - 2 l2 i), j += lr (-s u - 2 l2 j) with the old
 * u, and the biases (not regularised, as in the loss) b_i += lr s, b_j -= lr s.
 */
function typedSgd(b: BprBatch, w: BprMfWeights, lr: number, l2: number): number {
  const { n, dim, user, pos, neg, weight } = b;
  const { users, items, itemBias } = w;
  const d = 1 - 2 * lr * l2;
  let reg = 0;
  let logLik = 0;
  for (let k = 0; k < n; k++) {
    const ou = user[k]! * dim;
    const oi = pos[k]! * dim;
    const oj = neg[k]! * dim;
    const x = sampleScore(w, ou, oi, oj, pos[k]!, neg[k]!, norms);
    reg += norms[0]!;
    const wk = weight[k]!;
    logLik += wk * logSigmoid(x);
    const a = (lr * wk) / (1 + Math.exp(x));
    itemBias[pos[k]!] = itemBias[pos[k]!]! + a;
    itemBias[neg[k]!] = itemBias[neg[k]!]! - a;
    for (let f = 0; f < dim; f++) {
      const u = users[ou + f]!;
      const i = items[oi + f]!;
      const j = items[oj + f]!;
      users[ou + f] = d * u + a * (i - j);
      items[oi + f] = d * i + a * u;
      items[oj + f] = d * j - a * u;
    }
  }
  return (l2 * reg - logLik) / n;
}

/** The tfjs kernel, with its gather buffers (sized for the first batch's maxBatch). */
function tfjsGradients(): BprKernel['gradients'] {
  let buffers: Record<'U' | 'I' | 'J' | 'Bi' | 'Bj', Float32Array> | undefined;
  return (b, w, l2) => {
    const { n, dim } = b;
    const size = b.maxBatch * dim;
    buffers ??= {
      U: new Float32Array(size),
      I: new Float32Array(size),
      J: new Float32Array(size),
      Bi: new Float32Array(b.maxBatch),
      Bj: new Float32Array(b.maxBatch),
    };
    const { U, I, J, Bi, Bj } = buffers;
    for (let k = 0; k < n; k++) {
      U.set(w.users.subarray(b.user[k]! * dim, (b.user[k]! + 1) * dim), k * dim);
      I.set(w.items.subarray(b.pos[k]! * dim, (b.pos[k]! + 1) * dim), k * dim);
      J.set(w.items.subarray(b.neg[k]! * dim, (b.neg[k]! + 1) * dim), k * dim);
      Bi[k] = w.itemBias[b.pos[k]!]!;
      Bj[k] = w.itemBias[b.neg[k]!]!;
    }
    // tidy returns tensors only: walking a returned typed array costs one step per element.
    const result = tf.tidy(() => {
      const u = tf.tensor2d(U.subarray(0, n * dim), [n, dim]);
      const i = tf.tensor2d(I.subarray(0, n * dim), [n, dim]);
      const j = tf.tensor2d(J.subarray(0, n * dim), [n, dim]);
      const wt = tf.tensor1d(b.weight.subarray(0, n));
      const diff = tf.sub(i, j);
      const x = tf.add(
        tf.sum(tf.mul(u, diff), 1),
        tf.sub(tf.tensor1d(Bi.subarray(0, n)), tf.tensor1d(Bj.subarray(0, n))),
      );
      const reg = tf.add(tf.add(tf.sum(tf.square(u)), tf.sum(tf.square(i))), tf.sum(tf.square(j)));
      const loss = tf.div(tf.sub(tf.mul(l2, reg), tf.sum(tf.mul(wt, tf.logSigmoid(x)))), n);
      const s = tf.div(tf.mul(wt, tf.sigmoid(tf.neg(x))), n);
      const s2 = tf.expandDims(s, 1);
      const decay = (2 * l2) / n;
      return [
        tf.sub(tf.mul(decay, u), tf.mul(s2, diff)),
        tf.sub(tf.mul(decay, i), tf.mul(s2, u)),
        tf.add(tf.mul(decay, j), tf.mul(s2, u)),
        s,
        loss,
      ];
    });
    const [gu, gi, gj, s, loss] = result.map((t) => t.dataSync() as Float32Array) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    tf.dispose(result);
    // The same sums, in the same order, as the typed kernel.
    const { uSlot, iSlot, jSlot, gUser, gItem, gBias } = b;
    for (let k = 0; k < n; k++) {
      const si = iSlot[k]!;
      const sj = jSlot[k]!;
      gBias[si] = gBias[si]! - s[k]!;
      gBias[sj] = gBias[sj]! + s[k]!;
      const o = k * dim;
      const ou = uSlot[k]! * dim;
      const oi = si * dim;
      const oj = sj * dim;
      for (let f = 0; f < dim; f++) {
        gUser[ou + f] = gUser[ou + f]! + gu[o + f]!;
        gItem[oi + f] = gItem[oi + f]! + gi[o + f]!;
        gItem[oj + f] = gItem[oj + f]! + gj[o + f]!;
      }
    }
    return loss[0]!;
  };
}

/** Floats the simd kernel's SGD sums take in its arena (two float64). */
const SUMS_FLOATS = 4;

/**
 * The simd kernel: tables in `arena`, the vector work in wasm, Adam's scalar tail in JS
 * (SGD's loop is wasm's whole).
 */
function simdKernel(arena: WasmArena, dim: number): BprKernel {
  const k = new BprSimd(arena, dim);
  // Taken on first use, after the tables: allocated first, it would shift every row off
  // its cache lines.
  let sumsAt: number | undefined;
  // Compiled on first use: an sgd run (whose memory may be shared) never steps Adam.
  let rowsAdam: SimdAdam | undefined;
  const at = (a: Float32Array | Int32Array) => arena.offsetOf(a);
  return {
    name: 'simd',
    alloc: arena,
    gradients(b, w, l2) {
      const { n, user, pos, neg, weight, uSlot, iSlot, jSlot, x, sq, s, gBias } = b;
      k.dots(n, at(user), at(pos), at(neg), at(w.users), at(w.items), at(x), at(sq));
      const bias = w.itemBias;
      let reg = 0;
      let logLik = 0;
      for (let q = 0; q < n; q++) {
        const xq = x[q]! + bias[pos[q]!]! - bias[neg[q]!]!;
        const wq = weight[q]!;
        reg += sq[q]!;
        logLik += wq * logSigmoid(xq);
        // d loss / d x = -w sigmoid(-x) / n
        const sDeriv = wq / (1 + Math.exp(xq)) / n;
        s[q] = sDeriv;
        gBias[iSlot[q]!] = gBias[iSlot[q]!]! - sDeriv;
        gBias[jSlot[q]!] = gBias[jSlot[q]!]! + sDeriv;
      }
      const [gu, gi] = [at(b.gUser), at(b.gItem)];
      const [users, items] = [at(w.users), at(w.items)];
      const slots = [at(uSlot), at(iSlot), at(jSlot)] as const;
      k.grads(n, at(user), at(pos), at(neg), ...slots, users, items, gu, gi, at(s), (2 * l2) / n);
      return (l2 * reg - logLik) / n;
    },
    adam(adam, mo, param, rows, count, grad, d, rate) {
      if (d !== dim) return adam.apply(mo, param, rows, count, grad, d, rate);
      rowsAdam ??= new SimdAdam(arena, dim);
      rowsAdam.apply(adam, mo, param, rows, count, grad, rate);
    },
    sgd(b, w, lr, l2) {
      sumsAt ??= at(arena.floats(SUMS_FLOATS));
      const tables = { users: at(w.users), items: at(w.items), bias: at(w.itemBias), sums: sumsAt };
      const sums = sgdSums(arena, tables);
      sums.fill(0);
      sgdSteps(k, arena, tables, b, 0, b.n, lr, l2);
      return (l2 * sums[0]! - sums[1]!) / b.n;
    },
  };
}
