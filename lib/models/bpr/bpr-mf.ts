/**
 * A trained matrix-factorisation model (BPR-MF, or implicit ALS, whose item bias is 0): user
 * and item factors plus an item bias; score(u, i) = <P_u, Q_i> + b_i, computed for
 * evaluation by the WebAssembly SIMD dot-product kernel. model.json's `family` says which
 * loss trained it.
 * Saved in the tfjs weights layout: `model.json` (format, sizes and a weights manifest)
 * and `weights.bin` (the float32 tables back to back).
 */
import { DotProductScorer } from '../../eval/factor-scorer.ts';
import type { ModelFile, TrainedModel } from '../types.ts';

export const BPR_FORMAT = 'recsys-augment/bpr-mf@1';

export interface BprMfWeights {
  nUsers: number;
  nItems: number;
  dim: number;
  /** nUsers x dim, row-major. */
  users: Float32Array;
  /** nItems x dim, row-major. */
  items: Float32Array;
  /** nItems. */
  itemBias: Float32Array;
}

/** The families whose models are factor tables in this layout. */
export type FactorFamily = 'bpr' | 'ials';

export class BprMfModel implements TrainedModel {
  readonly nUsers: number;
  readonly nItems: number;
  private scorer: DotProductScorer | undefined;

  constructor(
    readonly weights: BprMfWeights,
    readonly family: FactorFamily = 'bpr',
  ) {
    this.nUsers = weights.nUsers;
    this.nItems = weights.nItems;
  }

  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    const w = this.weights;
    this.scorer ??= new DotProductScorer(w.users, w.items, w.dim, { itemBias: w.itemBias });
    this.scorer.scoreUsers(userIds, out);
  }

  async save(): Promise<ModelFile[]> {
    const w = this.weights;
    const tables = [
      { name: 'user_factors', shape: [w.nUsers, w.dim], data: w.users },
      { name: 'item_factors', shape: [w.nItems, w.dim], data: w.items },
      { name: 'item_bias', shape: [w.nItems], data: w.itemBias },
    ];
    const modelJson = {
      format: BPR_FORMAT,
      family: this.family,
      config: { nUsers: w.nUsers, nItems: w.nItems, dim: w.dim },
      weightsManifest: [
        {
          paths: ['weights.bin'],
          weights: tables.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })),
        },
      ],
    };
    const bin = new Uint8Array(tables.reduce((s, t) => s + t.data.byteLength, 0));
    let off = 0;
    for (const t of tables) {
      bin.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), off);
      off += t.data.byteLength;
    }
    return [
      { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(modelJson)) },
      { name: 'weights.bin', bytes: bin },
    ];
  }

  dispose(): void {
    this.scorer = undefined;
  }
}

/** Loads what {@link BprMfModel.save} wrote; throws naming the file and what is wrong. */
export function loadBprMf(files: ModelFile[]): BprMfModel {
  const json = files.find((f) => f.name === 'model.json');
  const bin = files.find((f) => f.name === 'weights.bin');
  if (!json || !bin) throw new Error('a BPR-MF model needs model.json and weights.bin');
  const meta = JSON.parse(new TextDecoder().decode(json.bytes)) as {
    format?: string;
    family?: string;
    config?: { nUsers: number; nItems: number; dim: number };
  };
  if (meta.format !== BPR_FORMAT || !meta.config)
    throw new Error(`model.json: expected format ${BPR_FORMAT}, got ${String(meta.format)}`);
  const family = meta.family ?? 'bpr';
  if (family !== 'bpr' && family !== 'ials')
    throw new Error(`model.json: family ${family} is not a factor model (bpr or ials)`);
  const { nUsers, nItems, dim } = meta.config;
  const floats = nUsers * dim + nItems * dim + nItems;
  if (bin.bytes.byteLength !== floats * 4)
    throw new Error(`weights.bin: expected ${floats * 4} bytes, got ${bin.bytes.byteLength}`);
  // A copy (not `slice`: on a Node Buffer that is a view of a shared pool).
  const copy = new Uint8Array(bin.bytes.byteLength);
  copy.set(bin.bytes);
  const all = new Float32Array(copy.buffer);
  return new BprMfModel(
    {
      nUsers,
      nItems,
      dim,
      users: all.subarray(0, nUsers * dim),
      items: all.subarray(nUsers * dim, nUsers * dim + nItems * dim),
      itemBias: all.subarray(nUsers * dim + nItems * dim),
    },
    family,
  );
}
