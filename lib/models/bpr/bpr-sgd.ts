/**
 * BPR-MF's plain SGD (`model.optimizer: sgd`) on the SIMD kernel: one step per sample, in
 * order, each on the rows as the previous step left them. The same loop runs on the
 * training thread (bpr-kernel.ts) and on each BPR-MF thread (bpr-thread-worker.ts), so a
 * sample's step is the same arithmetic wherever it runs. Imports no tensor library: the
 * threads load only this and the kernel.
 */
import type { BprSimd } from './bpr-simd.ts';

/** log sigmoid(x) = -log(1 + e^-x), without overflow for large |x|. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** Samples as columns (a batch, or one stratum of a thread's epoch). */
export interface SgdSamples {
  user: Int32Array;
  pos: Int32Array;
  neg: Int32Array;
  weight: Float32Array;
}

/** Where the SGD loop's arrays are: byte offsets in the kernel's memory, and JS views. */
export interface SgdTables {
  /** Byte offsets of the user and item factor tables. */
  users: number;
  items: number;
  /** A float of scratch (the kernel writes a sample's squared norms there), and its view. */
  sqAt: number;
  sq: Float32Array;
  /** Item biases (one float per item; updated in JS). */
  bias: Float32Array;
  dim: number;
}

/**
 * Steps samples `from .. to` of `s` with learning rate `lr` and L2 `l2`: per sample
 * x = <u, i - j> + b_i - b_j, a = lr w sigmoid(-x), biases b_i += a, b_j -= a, and the rows
 * (kernel `sgdStep`) u = d u + a (i - j), i = d i + a u, j = d j - a u with d = 1 - 2 lr l2.
 * Adds the samples' squared norms to acc[0] and their weighted log sigmoid(x) to acc[1],
 * as scored before each step.
 */
export function sgdSteps(
  k: BprSimd,
  t: SgdTables,
  s: SgdSamples,
  from: number,
  to: number,
  lr: number,
  l2: number,
  acc: Float64Array,
): void {
  const { user, pos, neg, weight } = s;
  const { bias, sq, sqAt } = t;
  const rowBytes = 4 * t.dim;
  const d = 1 - 2 * lr * l2;
  let reg = acc[0]!;
  let logLik = acc[1]!;
  for (let q = from; q < to; q++) {
    const i = pos[q]!;
    const j = neg[q]!;
    const ou = t.users + user[q]! * rowBytes;
    const oi = t.items + i * rowBytes;
    const oj = t.items + j * rowBytes;
    const x = k.sgdDot(ou, oi, oj, sqAt) + bias[i]! - bias[j]!;
    const wq = weight[q]!;
    reg += sq[0]!;
    // One exp serves the step and the loss: log sigmoid(x) = -log(1 + 1 / e^x).
    const e = Math.exp(x);
    logLik += wq * (x >= 0 ? -Math.log1p(1 / e) : x - Math.log1p(e));
    const a = (lr * wq) / (1 + e);
    bias[i] = bias[i]! + a;
    bias[j] = bias[j]! - a;
    k.sgdStep(ou, oi, oj, a, d);
  }
  acc[0] = reg;
  acc[1] = logLik;
}
