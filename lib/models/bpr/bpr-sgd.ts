/**
 * BPR-MF's plain SGD (`model.optimizer: sgd`) on the SIMD kernel: one step per sample, in
 * order, each on the rows as the previous step left them, the whole loop in wasm (bpr-simd.ts
 * `sgd`). The same call runs on the training thread (bpr-kernel.ts) and on each BPR-MF
 * thread (bpr-thread-worker.ts), so a sample's step is the same arithmetic wherever it runs.
 * Imports no tensor library: the threads load only this and the kernel.
 */
import type { WasmArena } from '../../compute/arena.ts';
import type { BprSimd } from './bpr-simd.ts';

/** log sigmoid(x) = -log(1 + e^-x), without overflow for large |x|. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** Samples as columns (a batch, or one stratum of a thread's epoch), in the kernel's arena. */
export interface SgdSamples {
  user: Int32Array;
  pos: Int32Array;
  neg: Int32Array;
  weight: Float32Array;
}

/** Where the SGD loop's tables are: byte offsets in the kernel's memory. */
export interface SgdTables {
  /** The user and item factor tables, and the item biases (one float per item). */
  users: number;
  items: number;
  bias: number;
  /**
   * Two float64 (16 bytes, 8-byte aligned): the running sums of the samples' squared norms
   * and of their weighted log sigmoid(x), which each call adds to.
   */
  sums: number;
}

/** The two float64 at `tables.sums`, to zero and read the running sums. */
export function sgdSums(arena: WasmArena, tables: SgdTables): Float64Array {
  return new Float64Array(arena.memory.buffer, tables.sums, 2);
}

/**
 * Steps samples `from .. to` of `s` (arrays in `arena`) with learning rate `lr` and L2 `l2`:
 * per sample x = <u, i - j> + b_i - b_j, a = lr w sigmoid(-x), biases b_i += a, b_j -= a, and
 * the rows u = d u + a (i - j), i = d i + a u, j = d j - a u with d = 1 - 2 lr l2. Adds the
 * samples' squared norms and their weighted log sigmoid(x), as scored before each step, to
 * the sums at `t.sums`.
 */
export function sgdSteps(
  k: BprSimd,
  arena: WasmArena,
  t: SgdTables,
  s: SgdSamples,
  from: number,
  to: number,
  lr: number,
  l2: number,
): void {
  const at = (a: Int32Array | Float32Array) => arena.offsetOf(a) + 4 * from;
  const d = 1 - 2 * lr * l2;
  k.sgd(
    to - from,
    at(s.user),
    at(s.pos),
    at(s.neg),
    at(s.weight),
    t.users,
    t.items,
    t.bias,
    lr,
    d,
    t.sums,
  );
}
