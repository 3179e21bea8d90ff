import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Csr } from '../../../lib/eval/types.ts';
import { BprMfModel } from '../../../lib/models/bpr/bpr-mf.ts';
import { EaseScorer } from '../../../lib/models/ease/ease.ts';
import { EaseModel } from '../../../lib/models/ease/ease-model.ts';
import { NeuMfModel } from '../../../lib/models/neumf/neumf.ts';
import { initNeuMf } from '../../../lib/models/neumf/neumf-weights.ts';
import type { TrainedModel } from '../../../lib/models/types.ts';
import { OnnxRecommender } from '../../../lib/serving/onnx-recommend.ts';
import { decodeModel } from '../../../lib/serving/onnx-proto.ts';
import {
  ONNX_MAX_BYTES,
  OnnxExportError,
  recommenderOnnx,
} from '../../../lib/serving/recommender-onnx.ts';
import type { ServingCatalog } from '../../../lib/serving/recommender-onnx.ts';
import { Rng } from '../../../lib/training/random.ts';
import { VENV_PYTHON, expectSameLists, pipelineTopK } from '../../helpers/serving.ts';
import { tempDir } from '../../helpers/tmp.ts';

const N_USERS = 9;
const N_ITEMS = 40;
const K = 12;

/** A random CSR: `perUser` distinct items per user (user 8 has seen every item but 3). */
function randomCsr(rng: Rng, perUser: number, offset: number): Csr {
  const indptr = new Int32Array(N_USERS + 1);
  const indices: number[] = [];
  for (let u = 0; u < N_USERS; u++) {
    const items =
      u === N_USERS - 1
        ? Array.from({ length: N_ITEMS - 3 - offset }, (_, i) => i + offset)
        : [...new Set(Array.from({ length: perUser }, () => rng.int(N_ITEMS)))];
    indices.push(...items.sort((a, b) => a - b));
    indptr[u + 1] = indices.length;
  }
  return { indptr, indices: Int32Array.from(indices) };
}

function floats(rng: Rng, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

const rng = new Rng(11);
const train = randomCsr(rng, 6, 0);
// Validation: one more item per user (the full user has all but 3 in train already).
const valid = randomCsr(rng, 1, 0);
valid.indptr.fill(valid.indptr[N_USERS - 1]!, N_USERS);
const catalog: ServingCatalog = {
  userIds: Array.from({ length: N_USERS }, (_, u) => (u % 2 ? `user-${u}` : String(100 + u))),
  itemIds: Array.from({ length: N_ITEMS }, (_, i) => `item ${i}`),
  seen: [train, valid],
};

const families: [string, () => Promise<TrainedModel>][] = [
  [
    'bpr',
    async () =>
      new BprMfModel({
        nUsers: N_USERS,
        nItems: N_ITEMS,
        dim: 8,
        users: floats(rng, N_USERS * 8, 0.5),
        items: floats(rng, N_ITEMS * 8, 0.5),
        itemBias: floats(rng, N_ITEMS, 0.2),
      }),
  ],
  [
    'ials',
    async () =>
      new BprMfModel(
        {
          nUsers: N_USERS,
          nItems: N_ITEMS,
          dim: 4,
          users: floats(rng, N_USERS * 4, 0.5),
          items: floats(rng, N_ITEMS * 4, 0.5),
          itemBias: new Float32Array(N_ITEMS),
        },
        'ials',
      ),
  ],
  [
    'neumf',
    async () => {
      const shape = { nUsers: N_USERS, nItems: N_ITEMS, factors: 8, layers: [12, 8] };
      const w = initNeuMf(shape, () => rng.normal());
      for (const t of ['userGmf', 'itemGmf', 'userMlp', 'itemMlp', 'b1', 'b2', 'h0'])
        w.tables[t]!.forEach((_, k, a) => (a[k] = 0.4 * rng.normal()));
      return NeuMfModel.create(w);
    },
  ],
  [
    'ease',
    async () => {
      // Weighted history with a repeated (user, item) entry: the export must sum them.
      const history = {
        indptr: Int32Array.from(train.indptr, (v, u) => (u === 0 ? 0 : v + 1)),
        indices: Int32Array.from([train.indices[0]!, ...train.indices]),
      };
      const weight = Float32Array.from(history.indices, (_, a) => 0.5 + (a % 3) * 0.25);
      const scorer = EaseScorer.fit(history, N_ITEMS, 3, weight);
      return new EaseModel(N_USERS, scorer, history, weight);
    },
  ],
];

describe('recommender ONNX export', () => {
  for (const [family, make] of families)
    it(`${family}: onnxruntime's top-K equals the TypeScript scorer's, seen items excluded`, async () => {
      const model = await make();
      expect(model.family).toBe(family);
      const onnx = recommenderOnnx(model, catalog, { k: K, metadata: { variant: 'B' } });
      const served = await OnnxRecommender.load(onnx);
      expect(served.k).toBe(K);
      const users = Array.from({ length: N_USERS }, (_, u) => u);
      const got = await served.recommend(users.map((u) => catalog.userIds[u]!));
      const want = await pipelineTopK(model, users, [train, valid], catalog.itemIds, K);
      for (const u of users) {
        expect(got[u]!.user).toBe(catalog.userIds[u]);
        expectSameLists(got[u]!.items, want[u]!, `${family} user ${u}`);
        const seen = new Set<string>();
        for (const s of [train, valid])
          for (let a = s.indptr[u]!; a < s.indptr[u + 1]!; a++)
            seen.add(catalog.itemIds[s.indices[a]!]!);
        expect(got[u]!.items.filter((r) => seen.has(r.item))).toEqual([]);
      }
      // The user who has seen all but 3 items gets those 3.
      expect(got[N_USERS - 1]!.items.length).toBe(3);
      // Unknown users, and a prefix of K.
      const [unknown, short] = await served.recommend(['nobody', catalog.userIds[2]!], 5);
      expect(unknown).toEqual({ user: 'nobody', items: [] });
      expect(short!.items).toEqual(got[2]!.items.slice(0, 5));
      await expect(served.recommend(['x'], K + 1)).rejects.toThrow(`from 1 to ${K}`);
      await served.close();
      model.dispose();
    });

  it('writes a model the ONNX checker accepts, with its metadata and named outputs', () => {
    const model = new BprMfModel({
      nUsers: N_USERS,
      nItems: N_ITEMS,
      dim: 2,
      users: floats(rng, N_USERS * 2, 1),
      items: floats(rng, N_ITEMS * 2, 1),
      itemBias: new Float32Array(N_ITEMS),
    });
    const onnx = recommenderOnnx(model, catalog, { k: 100, metadata: { variant: 'A' } });
    const decoded = decodeModel(onnx);
    expect(decoded.graph.input.map((i) => i.name)).toEqual(['user_id']);
    expect(decoded.graph.output.map((o) => o.name)).toEqual(['user', 'rank', 'item', 'score']);
    const meta = Object.fromEntries(decoded.metadataProps.map((p) => [p.key, p.value]));
    // K is capped at the catalog's size.
    expect(meta).toMatchObject({ family: 'bpr', k: String(N_ITEMS), variant: 'A' });
    const path = join(tempDir(), 'model.onnx');
    writeFileSync(path, onnx);
    const check = spawnSync(
      VENV_PYTHON,
      [
        '-c',
        'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)',
        path,
      ],
      { encoding: 'utf8' },
    );
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('refuses ID maps that do not fit the model, and models over the size limit', () => {
    const model = new BprMfModel({
      nUsers: N_USERS,
      nItems: N_ITEMS,
      dim: 2,
      users: new Float32Array(N_USERS * 2),
      items: new Float32Array(N_ITEMS * 2),
      itemBias: new Float32Array(N_ITEMS),
    });
    expect(() =>
      recommenderOnnx(model, { ...catalog, itemIds: catalog.itemIds.slice(1) }, { k: 5 }),
    ).toThrow(OnnxExportError);
    expect(() => recommenderOnnx(model, catalog, { k: 0 })).toThrow('k must be a positive integer');
    // 40,000 users x 30,000 items: a 1.2 GB seen mask alone.
    const huge = { family: 'bpr', nUsers: 40_000, nItems: 30_000 } as TrainedModel;
    const hugeCatalog = {
      userIds: new Array<string>(40_000),
      itemIds: new Array<string>(30_000),
      seen: [],
    };
    expect(() => recommenderOnnx(huge, hugeCatalog, { k: 5 })).toThrow(
      `the limit is ${ONNX_MAX_BYTES / (1 << 20)} MiB`,
    );
  });
});
