import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BprMfModel } from '../../../lib/models/bpr/bpr-mf.ts';
import { SERVING_VERSIONS, mlflowModelFiles } from '../../../lib/serving/mlflow-model.ts';
import { OnnxRecommender } from '../../../lib/serving/onnx-recommend.ts';
import { recommenderOnnx } from '../../../lib/serving/recommender-onnx.ts';
import { Rng } from '../../../lib/training/random.ts';
import { expectSameLists, listsOfRows, pyfuncPredict } from '../../helpers/serving.ts';
import { tempDir } from '../../helpers/tmp.ts';

const root = join(import.meta.dirname, '..', '..', '..');

describe('MLflow model directory', () => {
  it('pins the versions infra/setup.mjs installs', () => {
    const pins = JSON.parse(readFileSync(join(root, 'infra', 'versions.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(SERVING_VERSIONS.mlflow).toBe(pins.mlflow);
    expect(SERVING_VERSIONS.onnx).toBe(pins.onnx);
    expect(SERVING_VERSIONS.onnxruntime).toBe(pins.onnxruntime);
  });

  it('loads with mlflow.pyfunc and answers like onnxruntime-node', async () => {
    const rng = new Rng(3);
    const nUsers = 5;
    const nItems = 30;
    const f = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const model = new BprMfModel({
      nUsers,
      nItems,
      dim: 4,
      users: f(nUsers * 4),
      items: f(nItems * 4),
      itemBias: f(nItems),
    });
    const userIds = ['7', 'a b', 'ü', '42', 'x'];
    const catalog = {
      userIds,
      itemIds: Array.from({ length: nItems }, (_, i) => `i${i}`),
      seen: [{ indptr: Int32Array.of(0, 2, 2, 3, 3, 3), indices: Int32Array.of(0, 5, 9) }],
    };
    const onnx = recommenderOnnx(model, catalog, { k: 6 });
    const files = mlflowModelFiles({
      onnx,
      exampleUsers: userIds.slice(0, 2),
      metadata: { family: 'bpr', variant: 'B' },
    });
    const dir = join(tempDir(), 'model');
    mkdirSync(dir);
    for (const file of files) writeFileSync(join(dir, file.name), file.bytes);
    const mlmodel = parse(readFileSync(join(dir, 'MLmodel'), 'utf8')) as {
      flavors: Record<string, { loader_module?: string }>;
    };
    expect(Object.keys(mlmodel.flavors)).toEqual(['onnx', 'python_function']);
    expect(mlmodel.flavors.python_function!.loader_module).toBe('mlflow.onnx');
    expect(readFileSync(join(dir, 'requirements.txt'), 'utf8')).toContain(
      `onnxruntime==${SERVING_VERSIONS.onnxruntime}`,
    );
    expect(readFileSync(join(dir, 'conda.yaml'), 'utf8')).toContain('onnxruntime==');

    const users = [...userIds, 'unknown'];
    const got = await pyfuncPredict(dir, users);
    expect(got.columns).toEqual(['user', 'rank', 'item', 'score']);
    // One row per user and rank, unknown users included (item "").
    expect(got.rows.length).toBe(users.length * 6);
    const served = await OnnxRecommender.load(onnx);
    const want = await served.recommend(users);
    await served.close();
    const lists = listsOfRows(got.rows, users);
    users.forEach((u, r) => expectSameLists(lists[r]!, want[r]!.items, `user ${u}`));
    expect(lists.at(-1)).toEqual([]);
  }, 60_000);
});
