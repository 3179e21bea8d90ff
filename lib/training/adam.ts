/**
 * Adam with lazy (sparse) updates for embedding tables: only the rows a batch touched are
 * updated, with their own moment estimates, as TensorFlow's LazyAdam does. A batch costs
 * O(rows touched x dim), never O(table size), and the whole optimizer state is typed
 * arrays, so checkpoints are exact and cheap.
 */
/** First and second moment estimates of one table. */
export interface Moments {
  m: Float32Array;
  v: Float32Array;
}

export function moments(size: number): Moments {
  return { m: new Float32Array(size), v: new Float32Array(size) };
}

/** One optimizer for several tables: they share the step count and its bias correction. */
export class LazyAdam {
  /** Updates applied so far (shared bias correction, as in TF's LazyAdam). */
  step = 0;

  constructor(
    readonly lr: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {}

  /** Starts an optimisation step; returns the step's bias-corrected learning rate. */
  begin(): number {
    this.step++;
    const c1 = 1 - this.beta1 ** this.step;
    const c2 = 1 - this.beta2 ** this.step;
    return (this.lr * Math.sqrt(c2)) / c1;
  }

  /**
   * Applies gradient rows to `param`, whose moments are `mo`: `rows[k]` is the row index of gradient row k
   * (`grad[k * dim ..]`). Rows must be distinct (sum duplicates first).
   */
  apply(
    mo: Moments,
    param: Float32Array,
    rows: Int32Array,
    count: number,
    grad: Float32Array,
    dim: number,
    rate: number,
  ): void {
    const { m, v } = mo;
    const { beta1: b1, beta2: b2, eps } = this;
    for (let k = 0; k < count; k++) {
      const base = rows[k]! * dim;
      const g0 = k * dim;
      for (let f = 0; f < dim; f++) {
        const g = grad[g0 + f]!;
        const p = base + f;
        const mi = b1 * m[p]! + (1 - b1) * g;
        const vi = b2 * v[p]! + (1 - b2) * g * g;
        m[p] = mi;
        v[p] = vi;
        param[p] = param[p]! - (rate * mi) / (Math.sqrt(vi) + eps);
      }
    }
  }
}

/**
 * Sums gradient rows that share an index: returns distinct rows (in first-seen order) and
 * their summed gradients. `slot` is a reusable Int32Array(tableRows) filled with -1.
 */
export function sumRows(
  index: Int32Array,
  grad: Float32Array,
  n: number,
  dim: number,
  slot: Int32Array,
  outRows: Int32Array,
  outGrad: Float32Array,
): number {
  let count = 0;
  for (let k = 0; k < n; k++) {
    const r = index[k]!;
    let s = slot[r]!;
    if (s < 0) {
      s = count++;
      slot[r] = s;
      outRows[s] = r;
      outGrad.fill(0, s * dim, (s + 1) * dim);
    }
    const src = k * dim;
    const dst = s * dim;
    for (let f = 0; f < dim; f++) outGrad[dst + f] = outGrad[dst + f]! + grad[src + f]!;
  }
  for (let s = 0; s < count; s++) slot[outRows[s]!] = -1;
  return count;
}
