/**
 * The CFGAN generator as a recommender: for a user's real vector (the condition) it scores
 * every item - its linear output, which training pulls towards the 0/1 entries of the train
 * matrix. Used for generation and for its own validation NDCG. Inference uses no noise
 * (its mean), so scores are deterministic.
 */
import { eventLoopTurn } from '../async/turn.ts';
import { initBackend, tf } from '../compute/backend.ts';
import { transposeCsr } from '../eval/csr.ts';
import type { AsyncScorer, Csr } from '../eval/types.ts';
import { packState, unpackState } from '../training/train-state.ts';
import { gatherSum } from './sparse-rows.ts';
import type { GanVariant, GeneratorWeights } from './types.ts';

/** Length of the generator's vectors: the catalog (variant user) or the users (item). */
export function inputWidth(w: Pick<GeneratorWeights, 'variant' | 'nUsers' | 'nItems'>): number {
  return w.variant === 'item' ? w.nUsers : w.nItems;
}

/**
 * Item-variant scores are computed for the whole user x item matrix at once (every item's
 * vector gives one column); above this many cells the user variant is the one that fits.
 */
export const ITEM_VARIANT_MAX_CELLS = 2 ** 27;

/** An error no retry can fix (the stage runner makes it a non-retryable failure). */
export function ganInputError(message: string): Error {
  return Object.assign(new Error(message), { retryable: false });
}

/** Refuses an item-variant GAN whose score matrix would exceed ITEM_VARIANT_MAX_CELLS. */
export function checkItemVariantSize(nUsers: number, nItems: number): void {
  if (nUsers * nItems > ITEM_VARIANT_MAX_CELLS)
    throw ganInputError(
      `gan.variant item scores the whole ${nUsers} x ${nItems} matrix, more than ${ITEM_VARIANT_MAX_CELLS} cells: use gan.variant user`,
    );
}

/** Glorot-normal initial weights from a seeded normal source. */
export function glorot(rows: number, cols: number, normal: () => number): Float32Array {
  const a = new Float32Array(rows * cols);
  const std = Math.sqrt(2 / (rows + cols));
  for (let k = 0; k < a.length; k++) a[k] = std * normal();
  return a;
}

/** A freshly initialised generator of the user variant over `nItems` items. */
export function initGenerator(
  nItems: number,
  hidden: number,
  noiseDim: number,
  normal: () => number,
): GeneratorWeights {
  return {
    variant: 'user',
    nUsers: 0,
    nItems,
    hidden,
    noiseDim,
    w1: glorot(nItems, hidden, normal),
    wz: glorot(noiseDim, hidden, normal),
    b1: new Float32Array(hidden),
    w2: glorot(hidden, nItems, normal),
    b2: new Float32Array(nItems),
  };
}

/** Scores users' items with the generator, conditioned on their train items. */
export class GeneratorScorer implements AsyncScorer {
  private readonly w2: tf.Tensor2D;
  private readonly b2: tf.Tensor1D;
  private pre = new Float32Array(0);
  /** Variant item: the whole user x item score matrix, row-major. */
  private matrix?: Float32Array;
  private disposed = false;

  private constructor(
    readonly weights: GeneratorWeights,
    /** The generator's conditions: train rows of users (variant user) or of items. */
    private readonly rows: Csr,
    /** Per entry of `rows`, its weight in the condition (absent: 1, the 0/1 vector). */
    private readonly historyWeight?: Float32Array,
    /** The scorer whose output tensors this one shares (and which disposes them). */
    private readonly owner?: GeneratorScorer,
  ) {
    this.w2 = owner?.w2 ?? tf.tensor2d(weights.w2, [weights.hidden, inputWidth(weights)]);
    this.b2 = owner?.b2 ?? tf.tensor1d(weights.b2);
  }

  get nItems(): number {
    return this.weights.nItems;
  }

  /**
   * Async because tfjs must have a backend first: a worker whose trainGan came from the
   * cache has not trained anything in this process when generateGan scores. `train` is the
   * user x item train split.
   */
  static async create(weights: GeneratorWeights, train: Csr): Promise<GeneratorScorer> {
    await initBackend();
    if (weights.variant === 'user') return new GeneratorScorer(weights, train);
    const { nUsers, nItems } = weights;
    if (train.indptr.length - 1 !== nUsers)
      throw ganInputError(
        `the item-variant generator was trained on ${nUsers} users, the train split has ${train.indptr.length - 1}`,
      );
    checkItemVariantSize(nUsers, nItems);
    const scorer = new GeneratorScorer(weights, transposeCsr(train, nItems));
    await scorer.fillMatrix();
    return scorer;
  }

  /**
   * The same generator conditioned on each user's train entries times `weight` (aligned with
   * the train CSR's entries; see recency.ts). Variant user only. It shares this scorer's
   * tensors: disposing it does nothing, disposing this one frees both.
   */
  withHistoryWeight(weight: Float32Array): GeneratorScorer {
    if (this.weights.variant !== 'user')
      throw new RangeError('only a user-variant generator conditions on weighted histories');
    if (weight.length < this.rows.indptr[this.rows.indptr.length - 1]!)
      throw new RangeError('withHistoryWeight: fewer weights than train entries');
    return new GeneratorScorer(this.weights, this.rows, weight, this.owner ?? this);
  }

  /** G over `ids` (rows of this.rows) into `out` (ids.length x width). */
  private forward(ids: Int32Array, out: Float32Array): void {
    const { hidden } = this.weights;
    const width = inputWidth(this.weights);
    const n = ids.length;
    if (this.pre.length < n * hidden) this.pre = new Float32Array(n * hidden);
    gatherSum(
      this.weights.w1,
      hidden,
      this.rows,
      ids,
      n,
      this.pre,
      this.weights.b1,
      this.historyWeight,
    );
    const scores = tf.tidy(() => {
      const h = tf.sigmoid(tf.tensor2d(this.pre.subarray(0, n * hidden), [n, hidden]));
      return tf.add(tf.matMul(h, this.w2), this.b2);
    });
    out.set((scores.dataSync() as Float32Array).subarray(0, n * width));
    scores.dispose();
  }

  /** Variant item: every item's generated column of users, transposed into the matrix. */
  private async fillMatrix(): Promise<void> {
    const { nUsers, nItems } = this.weights;
    const matrix = new Float32Array(nUsers * nItems);
    const chunk = 256;
    const ids = new Int32Array(chunk);
    const out = new Float32Array(chunk * nUsers);
    for (let i0 = 0; i0 < nItems; i0 += chunk) {
      const n = Math.min(chunk, nItems - i0);
      for (let r = 0; r < n; r++) ids[r] = i0 + r;
      this.forward(ids.subarray(0, n), out);
      for (let r = 0; r < n; r++) {
        const o = r * nUsers;
        for (let u = 0; u < nUsers; u++) matrix[u * nItems + i0 + r] = out[o + u]!;
      }
      await eventLoopTurn();
    }
    this.matrix = matrix;
  }

  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    if (!this.matrix) return this.forward(userIds, out);
    const { nItems } = this.weights;
    for (let r = 0; r < userIds.length; r++) {
      const u = userIds[r]!;
      out.set(this.matrix.subarray(u * nItems, (u + 1) * nItems), r * nItems);
    }
  }

  /** Frees the tensors and the score matrix; a second call does nothing. */
  dispose(): void {
    if (this.owner || this.disposed) return;
    this.disposed = true;
    this.w2.dispose();
    this.b2.dispose();
    this.matrix = undefined;
  }
}

const LAYOUT = 'cfgan-generator/2';
/** Files of the user variant only, without the variant and user count. */
const LAYOUT_USER_ONLY = 'cfgan-generator/1';

/** The generator as one self-describing binary file. */
export function saveGenerator(w: GeneratorWeights): Uint8Array {
  return packState(
    {
      layout: LAYOUT,
      variant: w.variant,
      nUsers: w.nUsers,
      nItems: w.nItems,
      hidden: w.hidden,
      noiseDim: w.noiseDim,
    },
    { w1: w.w1, wz: w.wz, b1: w.b1, w2: w.w2, b2: w.b2 },
  );
}

export function loadGenerator(bytes: Uint8Array): GeneratorWeights {
  const { header: h, arrays: a } = unpackState(bytes);
  if (h.layout !== LAYOUT && h.layout !== LAYOUT_USER_ONLY)
    throw new Error(`not a CFGAN generator (layout ${String(h.layout)})`);
  const variant = (h.layout === LAYOUT ? h.variant : 'user') as GanVariant;
  if (variant !== 'user' && variant !== 'item')
    throw new Error(`CFGAN generator: unknown variant ${String(variant)}`);
  const nUsers = (h.nUsers as number | undefined) ?? 0;
  const nItems = h.nItems as number;
  const hidden = h.hidden as number;
  const noiseDim = h.noiseDim as number;
  const width = inputWidth({ variant, nUsers, nItems });
  const sized = (name: string, n: number) => {
    const x = a[name];
    if (!x || x.length !== n)
      throw new Error(`CFGAN generator: array ${name} is missing or sized wrong`);
    return x;
  };
  return {
    variant,
    nUsers,
    nItems,
    hidden,
    noiseDim,
    w1: sized('w1', width * hidden),
    wz: sized('wz', noiseDim * hidden),
    b1: sized('b1', hidden),
    w2: sized('w2', hidden * width),
    b2: sized('b2', width),
  };
}
