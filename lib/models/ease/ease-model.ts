/**
 * A trained EASE model (`family: ease`, trained by ease-train.ts): the item x item weights and
 * the users' training histories it scores from. Saved as model.json plus one binary file
 * (weights, then the histories).
 */
import type { ModelFile, TrainedModel } from '../types.ts';
import type { Csr } from '../../eval/types.ts';
import { EaseScorer } from './ease.ts';

export const EASE_FORMAT = 'recsys-augment/ease@1';
const DATA_FILE = 'ease.bin';

export class EaseModel implements TrainedModel {
  readonly family = 'ease' as const;

  constructor(
    readonly nUsers: number,
    private readonly scorer: EaseScorer,
    /** The users' training histories the model scores from. */
    readonly history: Csr,
    /** The weight of each history entry (aligned with `history.indices`). */
    readonly historyWeight: Float32Array,
    /** The recency half-life the history weights include (ease-train.ts); absent: none. */
    readonly halfLife?: number,
  ) {}

  /** Item x item weights, row-major. */
  get weights(): Float32Array {
    return this.scorer.weights;
  }

  get nItems(): number {
    return this.scorer.nItems;
  }

  get lambda(): number {
    return this.scorer.lambda;
  }

  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    this.scorer.scoreUsers(userIds, out);
  }

  save(): Promise<ModelFile[]> {
    const n = this.nItems;
    const nnz = this.history.indices.length;
    const parts = [
      this.scorer.weights,
      this.history.indptr,
      this.history.indices,
      this.historyWeight,
    ] as const;
    const bytes = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at += p.byteLength;
    }
    const meta = {
      format: EASE_FORMAT,
      nUsers: this.nUsers,
      nItems: n,
      nnz,
      lambda: this.lambda,
      ...(this.halfLife !== undefined ? { halfLife: this.halfLife } : {}),
    };
    return Promise.resolve([
      { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(meta)) },
      { name: DATA_FILE, bytes },
    ]);
  }

  dispose(): void {}
}

/** Loads a saved EASE model; throws naming the file and what is wrong. */
export function loadEase(files: ModelFile[]): EaseModel {
  const json = files.find((f) => f.name === 'model.json');
  const data = files.find((f) => f.name === DATA_FILE);
  if (!json || !data) throw new Error(`EASE model: needs model.json and ${DATA_FILE}`);
  const meta = JSON.parse(new TextDecoder().decode(json.bytes)) as Record<string, unknown>;
  const count = (k: string) => {
    const v = meta[k];
    if (!Number.isInteger(v) || (v as number) < 0)
      throw new Error(`model.json: ${k} must be a non-negative integer, got ${String(v)}`);
    return v as number;
  };
  const nUsers = count('nUsers');
  const nItems = count('nItems');
  const nnz = count('nnz');
  const lambda = Number(meta.lambda);
  const want = 4 * (nItems * nItems + nUsers + 1 + 2 * nnz);
  if (data.bytes.byteLength !== want)
    throw new Error(`${DATA_FILE}: ${data.bytes.byteLength} bytes, expected ${want}`);
  // A copy: the views below need 4-byte alignment, which a file's bytes need not have.
  const buf = data.bytes.slice().buffer;
  let at = 0;
  const take = <T>(make: (b: ArrayBuffer, o: number, n: number) => T, n: number): T => {
    const v = make(buf, at, n);
    at += 4 * n;
    return v;
  };
  const weights = take((b, o, n) => new Float32Array(b, o, n), nItems * nItems);
  const indptr = take((b, o, n) => new Int32Array(b, o, n), nUsers + 1);
  const indices = take((b, o, n) => new Int32Array(b, o, n), nnz);
  const rowWeight = take((b, o, n) => new Float32Array(b, o, n), nnz);
  const history = { indptr, indices };
  const scorer = EaseScorer.fromWeights(history, rowWeight, nItems, lambda, weights);
  const halfLife = typeof meta.halfLife === 'number' ? meta.halfLife : undefined;
  return new EaseModel(nUsers, scorer, history, rowWeight, halfLife);
}
