/**
 * NeuMF (He et al. 2017, "Neural Collaborative Filtering"): a GMF branch (user and item
 * embeddings multiplied element-wise) and an MLP branch (the concatenated user and item
 * embeddings of a second pair of tables through ReLU layers), fused by one output layer:
 * logit(u, i) = h . [p_u * q_i ; mlp([p'_u ; q'_i])] + b.
 *
 * Weights are named float32 tables, so saving, checkpoints and the optimizer treat them
 * alike. Saved in the tfjs weights layout (`model.json` + `weights.bin`). Full ranking runs
 * on the WebAssembly SIMD scorer (neumf-scorer.ts) or as tfjs ops.
 */
import { initBackend, tf } from '../../compute/backend.ts';
import { NeuMfSimdScorer, neumfScorerAvailable } from './neumf-scorer.ts';
import { tableShapes } from './neumf-weights.ts';
import type { NeuMfShape, NeuMfWeights } from './neumf-weights.ts';
import type { NeuMfScorerOptions } from './neumf-scorer.ts';
import type { ModelFile, TrainedModel } from '../types.ts';

export const NEUMF_FORMAT = 'recsys-augment/neumf@1';

/** Largest intermediate (pairs x hidden units) scored at once, in floats. */
const CHUNK_FLOATS = 1 << 22;

export interface NeuMfModelOptions extends NeuMfScorerOptions {
  /**
   * How full ranking runs: `simd` (neumf-scorer.ts: WebAssembly SIMD, on up to two threads;
   * factors and layer sizes divisible by 4), `tfjs` (tensor ops), or `auto`: simd when it
   * can run on the wasm and cpu backends, tfjs on the native ones. @default 'auto'
   */
  scorer?: 'auto' | 'simd' | 'tfjs';
}

export class NeuMfModel implements TrainedModel {
  readonly family = 'neumf' as const;
  readonly nUsers: number;
  readonly nItems: number;
  /** The scorer that runs: the SIMD kernel, else tfjs tensors. */
  readonly scorer: 'simd' | 'tfjs';
  private readonly simd: NeuMfSimdScorer | undefined;
  private readonly t: Record<string, tf.Tensor2D> = {};
  /** Per model, computed once: the item half of the first MLP layer plus its bias (nItems x h1). */
  private itemFirst!: tf.Tensor2D;
  /** The GMF item table transposed (factors x nItems): no transpose flag on wasm matMuls. */
  private itemGmfT!: tf.Tensor2D;
  /** The user half of the first MLP layer (factors x h1). */
  private w1User!: tf.Tensor2D;
  /** The output weights of the GMF branch as a row (1 x factors) and of the MLP (hL x 1). */
  private hGmf!: tf.Tensor2D;
  private hMlp!: tf.Tensor2D;

  private constructor(
    readonly weights: NeuMfWeights,
    options: NeuMfModelOptions,
  ) {
    this.nUsers = weights.nUsers;
    this.nItems = weights.nItems;
    const want = options.scorer ?? 'auto';
    const can = neumfScorerAvailable(weights.factors, weights.layers);
    if (want === 'simd' && !can)
      throw new Error(
        'NeuMF simd scorer: needs WebAssembly SIMD and factors and layers divisible by 4',
      );
    const native = !['wasm', 'cpu'].includes(tf.getBackend());
    this.scorer = can && (want === 'simd' || (want === 'auto' && !native)) ? 'simd' : 'tfjs';
    if (this.scorer === 'simd') this.simd = new NeuMfSimdScorer(weights, options);
    else this.initTensors();
  }

  private initTensors(): void {
    const weights = this.weights;
    for (const [name, rows, cols] of tableShapes(weights))
      this.t[name] = tf.tensor2d(weights.tables[name]!, [rows, cols]);
    const f = weights.factors;
    const h1 = weights.layers[0]!;
    const hL = weights.layers.at(-1)!;
    this.itemFirst = tf.tidy(() =>
      tf.add(tf.matMul(this.t.itemMlp!, tf.slice(this.t.w1!, [f, 0], [f, h1])), this.t.b1!),
    );
    this.itemGmfT = tf.transpose(this.t.itemGmf!);
    this.w1User = tf.slice(this.t.w1!, [0, 0], [f, h1]);
    this.hGmf = tf.tidy(() => tf.reshape(tf.slice(this.t.h!, [0, 0], [f, 1]), [1, f]));
    this.hMlp = tf.slice(this.t.h!, [f, 0], [hL, 1]);
  }

  /** Async because tfjs needs a backend first (evaluation may be this process's first use). */
  static async create(weights: NeuMfWeights, options: NeuMfModelOptions = {}): Promise<NeuMfModel> {
    await initBackend();
    return new NeuMfModel(weights, options);
  }

  /**
   * Scores of every item for each user, row-major into `out`. Users (and, for catalogues
   * whose single row would exceed the bound, items) go in chunks so that no intermediate
   * holds more than CHUNK_FLOATS floats.
   */
  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    if (this.simd) return this.simd.scoreUsers(userIds, out);
    const { nItems: m, layers } = this.weights;
    const widest = Math.max(...layers);
    const itemsPer = Math.max(1, Math.min(m, Math.floor(CHUNK_FLOATS / widest)));
    const usersPer = Math.max(1, Math.floor(CHUNK_FLOATS / (itemsPer * widest)));
    for (let start = 0; start < userIds.length; start += usersPer) {
      const ids = userIds.subarray(start, Math.min(userIds.length, start + usersPer));
      const n = ids.length;
      for (let i0 = 0; i0 < m; i0 += itemsPer) {
        const mi = Math.min(itemsPer, m - i0);
        const scores = tf.tidy(() => this.scoreChunk(ids, i0, mi));
        const data = scores.dataSync() as Float32Array;
        scores.dispose();
        if (mi === m) out.set(data, start * m);
        else
          for (let r = 0; r < n; r++)
            out.set(data.subarray(r * mi, (r + 1) * mi), (start + r) * m + i0);
      }
    }
  }

  /** Logits of users `ids` x items [i0, i0 + mi): an (ids.length x mi) tensor. Inside a tidy. */
  private scoreChunk(ids: Int32Array, i0: number, mi: number): tf.Tensor2D {
    const { factors: f, nItems: m, layers } = this.weights;
    const n = ids.length;
    const h1 = layers[0]!;
    const all = mi === m;
    const idx = tf.tensor1d(ids, 'int32');
    // GMF: (p_u * h_g) . q_i for every item of the chunk.
    const itemGmfT = all ? this.itemGmfT : tf.slice(this.itemGmfT, [0, i0], [f, mi]);
    const gmf = tf.matMul(tf.mul(tf.gather(this.t.userGmf!, idx), this.hGmf), itemGmfT);
    // MLP: first layer = user half + item half (precomputed), then the rest per pair.
    const itemFirst = all ? this.itemFirst : tf.slice(this.itemFirst, [i0, 0], [mi, h1]);
    const userFirst = tf.matMul(tf.gather(this.t.userMlp!, idx), this.w1User);
    let z: tf.Tensor2D = tf.reshape(
      tf.relu(tf.add(tf.expandDims(userFirst, 1), tf.expandDims(itemFirst, 0))),
      [n * mi, h1],
    );
    for (let l = 2; l <= layers.length; l++)
      z = tf.relu(tf.add(tf.matMul(z, this.t[`w${l}`]!), this.t[`b${l}`]!)) as tf.Tensor2D;
    const mlp = tf.reshape(tf.matMul(z, this.hMlp), [n, mi]);
    return tf.add(tf.add(gmf, mlp), this.t.h0!);
  }

  async save(): Promise<ModelFile[]> {
    const w = this.weights;
    const shapes = tableShapes(w);
    const modelJson = {
      format: NEUMF_FORMAT,
      family: 'neumf',
      config: { nUsers: w.nUsers, nItems: w.nItems, factors: w.factors, layers: w.layers },
      weightsManifest: [
        {
          paths: ['weights.bin'],
          weights: shapes.map(([name, rows, cols]) => ({
            name,
            shape: [rows, cols],
            dtype: 'float32',
          })),
        },
      ],
    };
    const bin = new Uint8Array(shapes.reduce((s, [, r, c]) => s + r * c * 4, 0));
    let off = 0;
    for (const [name] of shapes) {
      const a = w.tables[name]!;
      bin.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
      off += a.byteLength;
    }
    return [
      { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(modelJson)) },
      { name: 'weights.bin', bytes: bin },
    ];
  }

  dispose(): void {
    this.simd?.dispose();
    for (const t of Object.values(this.t)) t.dispose();
    if (this.scorer === 'tfjs')
      tf.dispose([this.itemFirst, this.itemGmfT, this.w1User, this.hGmf, this.hMlp]);
  }
}

/** Reads what {@link NeuMfModel.save} wrote; throws naming the file and what is wrong. */
export function readNeuMf(files: ModelFile[]): NeuMfWeights {
  const json = files.find((f) => f.name === 'model.json');
  const bin = files.find((f) => f.name === 'weights.bin');
  if (!json || !bin) throw new Error('a NeuMF model needs model.json and weights.bin');
  let meta: { format?: unknown; config?: Partial<NeuMfShape> };
  try {
    meta = JSON.parse(new TextDecoder().decode(json.bytes)) as typeof meta;
  } catch {
    throw new Error('model.json: not JSON');
  }
  if (meta.format !== NEUMF_FORMAT)
    throw new Error(`model.json: expected format ${NEUMF_FORMAT}, got ${String(meta.format)}`);
  const c = meta.config;
  const count = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (
    !c ||
    !count(c.nUsers) ||
    !count(c.nItems) ||
    !count(c.factors) ||
    !Array.isArray(c.layers) ||
    c.layers.length === 0 ||
    !c.layers.every(count)
  )
    throw new Error(
      `model.json: config ${JSON.stringify(c)} needs positive integers nUsers, nItems, factors and a non-empty layers list`,
    );
  const shape: NeuMfShape = {
    nUsers: c.nUsers!,
    nItems: c.nItems!,
    factors: c.factors!,
    layers: [...c.layers],
  };
  const shapes = tableShapes(shape);
  const floats = shapes.reduce((s, [, r, k]) => s + r * k, 0);
  if (bin.bytes.byteLength !== floats * 4)
    throw new Error(
      `weights.bin: expected ${floats * 4} bytes (${floats} float32 for ${shape.nUsers} users x ${shape.nItems} items, factors ${shape.factors}, layers [${shape.layers.join(', ')}]), got ${bin.bytes.byteLength}`,
    );
  // A copy (not `slice`: on a Node Buffer that is a view of a shared pool).
  const copy = new Uint8Array(bin.bytes.byteLength);
  copy.set(bin.bytes);
  const all = new Float32Array(copy.buffer);
  const tables: Record<string, Float32Array> = {};
  let off = 0;
  for (const [name, rows, cols] of shapes) {
    tables[name] = all.subarray(off, off + rows * cols);
    off += rows * cols;
  }
  return { ...shape, tables };
}

/** Loads what {@link NeuMfModel.save} wrote (rejects naming the file and what is wrong). */
export async function loadNeuMf(files: ModelFile[]): Promise<NeuMfModel> {
  return NeuMfModel.create(readNeuMf(files));
}
