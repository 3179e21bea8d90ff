/**
 * The CFGAN generator as a recommender: for a user's real vector (the condition) it scores
 * every item in [0, 1]. Used for generation and for its own validation NDCG. Inference
 * uses no noise (its mean), so scores are deterministic.
 */
import { initBackend, tf } from '../compute/backend.ts';
import type { AsyncScorer, Csr } from '../eval/types.ts';
import { packState, unpackState } from '../training/train-state.ts';
import { gatherSum } from './sparse-rows.ts';
import type { GeneratorWeights } from './types.ts';

/** Glorot-normal initial weights from a seeded normal source. */
export function glorot(rows: number, cols: number, normal: () => number): Float32Array {
  const a = new Float32Array(rows * cols);
  const std = Math.sqrt(2 / (rows + cols));
  for (let k = 0; k < a.length; k++) a[k] = std * normal();
  return a;
}

export function initGenerator(
  nItems: number,
  hidden: number,
  noiseDim: number,
  normal: () => number,
): GeneratorWeights {
  return {
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

  private constructor(
    readonly weights: GeneratorWeights,
    private readonly train: Csr,
  ) {
    this.w2 = tf.tensor2d(weights.w2, [weights.hidden, weights.nItems]);
    this.b2 = tf.tensor1d(weights.b2);
  }

  get nItems(): number {
    return this.weights.nItems;
  }

  /**
   * Async because tfjs must have a backend first: a worker whose trainGan came from the
   * cache has not trained anything in this process when generateGan scores.
   */
  static async create(weights: GeneratorWeights, train: Csr): Promise<GeneratorScorer> {
    await initBackend();
    return new GeneratorScorer(weights, train);
  }

  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    const { hidden, nItems } = this.weights;
    const n = userIds.length;
    if (this.pre.length < n * hidden) this.pre = new Float32Array(n * hidden);
    gatherSum(this.weights.w1, hidden, this.train, userIds, n, this.pre, this.weights.b1);
    const scores = tf.tidy(() => {
      const h = tf.sigmoid(tf.tensor2d(this.pre.subarray(0, n * hidden), [n, hidden]));
      return tf.sigmoid(tf.add(tf.matMul(h, this.w2), this.b2));
    });
    out.set((scores.dataSync() as Float32Array).subarray(0, n * nItems));
    scores.dispose();
  }

  dispose(): void {
    this.w2.dispose();
    this.b2.dispose();
  }
}

const LAYOUT = 'cfgan-generator/1';

/** The generator as one self-describing binary file. */
export function saveGenerator(w: GeneratorWeights): Uint8Array {
  return packState(
    { layout: LAYOUT, nItems: w.nItems, hidden: w.hidden, noiseDim: w.noiseDim },
    { w1: w.w1, wz: w.wz, b1: w.b1, w2: w.w2, b2: w.b2 },
  );
}

export function loadGenerator(bytes: Uint8Array): GeneratorWeights {
  const { header: h, arrays: a } = unpackState(bytes);
  if (h.layout !== LAYOUT) throw new Error(`not a CFGAN generator (layout ${String(h.layout)})`);
  const nItems = h.nItems as number;
  const hidden = h.hidden as number;
  const noiseDim = h.noiseDim as number;
  const sized = (name: string, n: number) => {
    const x = a[name];
    if (!x || x.length !== n)
      throw new Error(`CFGAN generator: array ${name} is missing or sized wrong`);
    return x;
  };
  return {
    nItems,
    hidden,
    noiseDim,
    w1: sized('w1', nItems * hidden),
    wz: sized('wz', noiseDim * hidden),
    b1: sized('b1', hidden),
    w2: sized('w2', hidden * nItems),
    b2: sized('b2', nItems),
  };
}
