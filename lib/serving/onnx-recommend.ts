/**
 * Recommendations from an exported model (recommender-onnx.ts) with onnxruntime-node on the
 * CPU: what `augment recommend` prints, and what the tests compare with MLflow's pyfunc.
 */
import * as ort from 'onnxruntime-node';
import { ONNX_INPUT } from './recommender-onnx.ts';

export interface Recommendation {
  rank: number;
  item: string;
  score: number;
}

export interface UserRecommendations {
  user: string;
  /** Best first; empty for a user the model does not know. */
  items: Recommendation[];
}

/** An exported recommender loaded into an onnxruntime session. */
export class OnnxRecommender {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Items per user the model returns. */
    readonly k: number,
  ) {}

  static async load(onnx: Uint8Array): Promise<OnnxRecommender> {
    const session = await ort.InferenceSession.create(onnx, { executionProviders: ['cpu'] });
    const meta = session.outputMetadata.find((m) => m.name === 'item');
    const dims = meta && meta.isTensor ? meta.shape : [];
    const k = Number(dims[1]);
    if (!Number.isInteger(k) || k < 1)
      throw new Error('the ONNX model has no [batch, K] `item` output: not a recommender export');
    return new OnnxRecommender(session, k);
  }

  /** The top `k` (at most the model's K) unseen items of each user, best first. */
  async recommend(users: readonly string[], k = this.k): Promise<UserRecommendations[]> {
    if (!Number.isInteger(k) || k < 1 || k > this.k)
      throw new RangeError(`k must be an integer from 1 to ${this.k} (the model's K), got ${k}`);
    if (users.length === 0) return [];
    const input = new ort.Tensor('string', [...users], [users.length, 1]);
    const out = await this.session.run({ [ONNX_INPUT]: input });
    const items = out.item!.data as string[];
    const scores = out.score!.data as Float32Array;
    return users.map((user, u) => {
      const list: Recommendation[] = [];
      for (let r = 0; r < k; r++) {
        const item = items[u * this.k + r]!;
        // "" marks an unknown user, or no unseen item left for this rank.
        if (item !== '') list.push({ rank: r + 1, item, score: scores[u * this.k + r]! });
      }
      return { user, items: list };
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
