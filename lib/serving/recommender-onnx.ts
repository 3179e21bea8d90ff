/**
 * A trained recommender as one ONNX graph that serves recommendations by original IDs:
 *
 *   user_id  string [batch, 1]  the log's user IDs (as strings, e.g. "42")
 *   ->
 *   user     string [batch, K]  the input ID repeated (so a flattened table reads by itself)
 *   rank     int64  [batch, K]  1..K
 *   item     string [batch, K]  the log's item IDs, best first
 *   score    float  [batch, K]  the model's score
 *
 * Inside: an ID map (ONNX-ML LabelEncoder) turns user IDs into the dense indices the model
 * was trained on, the family's scorer computes every item's score, the items each user has
 * seen (train and validation splits) are excluded through a dense boolean mask, TopK picks
 * the best K (ties to the lower dense index, as lib/eval/topk.ts) and a second LabelEncoder
 * maps dense item indices back to item IDs. A user the model does not know, or a slot with
 * no unseen item left, gets item "" and score 0.
 *
 * Sizes: the initializers are the model's tables, the nUsers x nItems seen mask (one byte
 * per pair) and, for EASE, its nUsers x nItems history matrix (float32); the export refuses
 * models above {@link ONNX_MAX_BYTES} (protobuf caps a file at 2 GiB).
 */
import { BprMfModel } from '../models/bpr/bpr-mf.ts';
import { EaseModel } from '../models/ease/ease-model.ts';
import { NeuMfModel } from '../models/neumf/neumf.ts';
import type { TrainedModel } from '../models/types.ts';
import type { Csr } from '../eval/types.ts';
import { ML_DOMAIN, OnnxGraph } from './onnx-graph.ts';
import { DataType } from './onnx-proto.ts';

/** Largest model written: 1 GiB of initializers, half of protobuf's limit on one message. */
export const ONNX_MAX_BYTES = 1 << 30;

/** What the graph maps and excludes, by dense index. */
export interface ServingCatalog {
  /** Original user ID of each dense user index. */
  userIds: readonly string[];
  /** Original item ID of each dense item index. */
  itemIds: readonly string[];
  /** Per dense user, the dense items never recommended to them: each CSR's rows are excluded. */
  seen: Csr[];
}

export interface RecommenderOnnxOptions {
  /** Items per user (capped at the catalog's size). */
  k: number;
  /** Written into the model's metadata (`producer_version`). */
  producerVersion?: string;
  /** Extra metadata_props (family, variant, hashes). */
  metadata?: Record<string, string>;
}

/** A model that cannot be exported (too large, or a catalog that does not fit it). */
export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

export const ONNX_INPUT = 'user_id';
export const ONNX_OUTPUTS = ['user', 'rank', 'item', 'score'] as const;
const OUTPUT_TYPES = {
  user: DataType.STRING,
  rank: DataType.INT64,
  item: DataType.STRING,
  score: DataType.FLOAT,
} as const;

/** The `.onnx` bytes of `model` serving the top `k` unseen items of each user. */
export function recommenderOnnx(
  model: TrainedModel,
  catalog: ServingCatalog,
  options: RecommenderOnnxOptions,
): Uint8Array {
  const { nUsers, nItems } = model;
  if (catalog.userIds.length !== nUsers || catalog.itemIds.length !== nItems)
    throw new OnnxExportError(
      `the ID maps have ${catalog.userIds.length} users and ${catalog.itemIds.length} items; the model has ${nUsers} and ${nItems}`,
    );
  for (const seen of catalog.seen)
    if (seen.indptr.length !== nUsers + 1)
      throw new OnnxExportError(
        `a seen matrix has ${seen.indptr.length - 1} rows; the model has ${nUsers} users`,
      );
  if (!Number.isInteger(options.k) || options.k < 1)
    throw new OnnxExportError(`k must be a positive integer, got ${options.k}`);
  const estimate = estimateBytes(model);
  if (estimate > ONNX_MAX_BYTES)
    throw new OnnxExportError(
      `an ONNX export of this ${model.family} model needs about ${mib(estimate)} MiB (${nUsers} users x ${nItems} items); the limit is ${mib(ONNX_MAX_BYTES)} MiB`,
    );
  const k = Math.min(options.k, nItems);
  const g = new OnnxGraph();
  const input = g.input(ONNX_INPUT, DataType.STRING, ['batch', 1], 'original user IDs');

  const ids = g.node('Reshape', [input, g.int64('flat_shape', [1], [-1])]);
  const dense = g.node(
    'LabelEncoder',
    [ids],
    {
      keys_strings: [...catalog.userIds],
      values_int64s: { ints: range(nUsers) },
      default_int64: -1,
    },
    ML_DOMAIN,
  );
  const zero = g.int64('zero', [], [0]);
  const known = g.node('Not', [g.node('Less', [dense, zero])]);
  const user = g.node('Max', [dense, zero]);

  const scores = familyScores(g, model, user);
  const seenRows = g.node(
    'Gather',
    [g.bool('seen', [nUsers, nItems], seenMask(catalog.seen, nUsers, nItems)), user],
    { axis: 0 },
  );
  const negInf = g.float('minus_inf', [], new Float32Array([-Infinity]));
  const masked = g.node('Where', [seenRows, negInf, scores]);
  const [topScores, topItems] = g.nodeN('TopK', [masked, g.int64('k', [1], [k])], 2, {
    axis: 1,
    largest: 1,
    sorted: 1,
  });
  const itemIds = g.node(
    'LabelEncoder',
    [topItems!],
    {
      keys_int64s: { ints: range(nItems) },
      values_strings: [...catalog.itemIds],
      default_string: '',
    },
    ML_DOMAIN,
  );
  // A slot is real when the user is known and the item was not excluded (-inf).
  const axis1 = g.int64('axis1', [1], [1]);
  const finite = g.node('Greater', [topScores!, negInf]);
  const valid = g.node('And', [g.node('Unsqueeze', [known, axis1]), finite]);
  const shape = g.node('Shape', [topItems!]);
  const outputs = {
    user: g.node('Expand', [g.node('Unsqueeze', [ids, axis1]), shape]),
    rank: g.node('Expand', [g.int64('ranks', [1, k], range(k, 1)), shape]),
    item: g.node('Where', [valid, itemIds, g.strings('empty', [], [''])]),
    score: g.node('Where', [valid, topScores!, g.float('zero_f', [], new Float32Array([0]))]),
  };
  for (const name of ONNX_OUTPUTS)
    g.output(g.named(outputs[name], name), OUTPUT_TYPES[name], ['batch', k]);
  return g.encode({
    name: `recsys-augment ${model.family}`,
    doc: `Top-${k} unseen items per user ID of a ${model.family} recommender (${nUsers} users, ${nItems} items)`,
    producerVersion: options.producerVersion ?? '0',
    metadata: {
      family: model.family,
      k: String(k),
      users: String(nUsers),
      items: String(nItems),
      ...options.metadata,
    },
  });
}

/** Scores of every item for the dense users `user` (int64 [batch]): float [batch, nItems]. */
function familyScores(g: OnnxGraph, model: TrainedModel, user: string): string {
  if (model instanceof BprMfModel) {
    // <P_u, Q_i> + b_i (iALS: b = 0), as lib/eval/factor-scorer.ts.
    const w = model.weights;
    const p = g.node('Gather', [g.float('user_factors', [w.nUsers, w.dim], w.users), user], {
      axis: 0,
    });
    const qT = g.float('item_factors_t', [w.dim, w.nItems], transpose(w.items, w.nItems, w.dim));
    return g.node('Add', [g.node('MatMul', [p, qT]), g.float('item_bias', [w.nItems], w.itemBias)]);
  }
  if (model instanceof NeuMfModel) return neumfScores(g, model, user);
  if (model instanceof EaseModel) {
    // The user's weighted history row times the item x item weights, as lib/models/ease.
    const n = model.nItems;
    const x = historyMatrix(model.history, model.historyWeight, model.nUsers, n);
    const row = g.node('Gather', [g.float('history', [model.nUsers, n], x), user], { axis: 0 });
    return g.node('MatMul', [row, g.float('item_weights', [n, n], model.weights)]);
  }
  throw new OnnxExportError(`no ONNX export for model family ${model.family}`);
}

/**
 * NeuMF's logit, as lib/models/neumf/neumf.ts: h_gmf . (p_u * q_i) + h_mlp . mlp([p'_u; q'_i])
 * + h0, the first MLP layer split into its user and item halves so every pair shares the
 * item half: the intermediate is [batch, nItems, h1].
 */
function neumfScores(g: OnnxGraph, model: NeuMfModel, user: string): string {
  const w = model.weights;
  const t = w.tables;
  const { factors: f, nUsers, nItems, layers } = w;
  const h1 = layers[0]!;
  const hL = layers.at(-1)!;
  const h = t.h!;
  const pG = g.node('Gather', [g.float('user_gmf', [nUsers, f], t.userGmf!), user], { axis: 0 });
  const hG = g.float('h_gmf', [1, f], h.subarray(0, f));
  const gmf = g.node('MatMul', [
    g.node('Mul', [pG, hG]),
    g.float('item_gmf_t', [f, nItems], transpose(t.itemGmf!, nItems, f)),
  ]);
  const w1 = t.w1!;
  const pM = g.node('Gather', [g.float('user_mlp', [nUsers, f], t.userMlp!), user], { axis: 0 });
  const userFirst = g.node('MatMul', [pM, g.float('w1_user', [f, h1], w1.subarray(0, f * h1))]);
  const itemFirst = g.node('Add', [
    g.node('MatMul', [
      g.float('item_mlp', [nItems, f], t.itemMlp!),
      g.float('w1_item', [f, h1], w1.subarray(f * h1, 2 * f * h1)),
    ]),
    g.float('b1', [h1], t.b1!),
  ]);
  const axis1 = g.int64('mlp_axis1', [1], [1]);
  let z = g.node('Relu', [g.node('Add', [g.node('Unsqueeze', [userFirst, axis1]), itemFirst])]);
  for (let l = 2; l <= layers.length; l++) {
    const rows = layers[l - 2]!;
    const cols = layers[l - 1]!;
    z = g.node('Relu', [
      g.node('Add', [
        g.node('MatMul', [z, g.float(`w${l}`, [rows, cols], t[`w${l}`]!)]),
        g.float(`b${l}`, [cols], t[`b${l}`]!),
      ]),
    ]);
  }
  const mlp = g.node('Squeeze', [
    g.node('MatMul', [z, g.float('h_mlp', [hL, 1], h.subarray(f, f + hL))]),
    g.int64('mlp_axis2', [1], [2]),
  ]);
  return g.node('Add', [g.node('Add', [gmf, mlp]), g.float('h0', [], t.h0!.subarray(0, 1))]);
}

/** Approximate bytes of the export's initializers (tables, seen mask, ID maps aside). */
function estimateBytes(model: TrainedModel): number {
  const pairs = model.nUsers * model.nItems;
  let bytes = pairs;
  if (model instanceof BprMfModel)
    bytes += 4 * (model.nUsers + model.nItems + 1) * model.weights.dim;
  else if (model instanceof NeuMfModel)
    bytes += Object.values(model.weights.tables).reduce((s, a) => s + a.byteLength, 0);
  else if (model instanceof EaseModel) bytes += 4 * pairs + 4 * model.nItems * model.nItems;
  return bytes;
}

function seenMask(seenSets: Csr[], nUsers: number, nItems: number): Uint8Array {
  const mask = new Uint8Array(nUsers * nItems);
  for (const seen of seenSets)
    for (let u = 0; u < nUsers; u++)
      for (let a = seen.indptr[u]!; a < seen.indptr[u + 1]!; a++) {
        const i = seen.indices[a]!;
        if (i < 0 || i >= nItems)
          throw new OnnxExportError(`seen item ${i} of user ${u} is outside 0..${nItems - 1}`);
        mask[u * nItems + i] = 1;
      }
  return mask;
}

/** Dense history rows; repeated (user, item) entries add up, as EASE's scorer sums them. */
function historyMatrix(history: Csr, weight: Float32Array, nUsers: number, nItems: number) {
  const x = new Float32Array(nUsers * nItems);
  for (let u = 0; u < nUsers; u++)
    for (let a = history.indptr[u]!; a < history.indptr[u + 1]!; a++)
      x[u * nItems + history.indices[a]!]! += weight[a]!;
  return x;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

function mib(bytes: number): number {
  return Math.ceil(bytes / (1 << 20));
}
