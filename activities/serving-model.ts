/**
 * A retrain stage's model as an MLflow model: `model.onnx` serving top-K item IDs by user ID
 * (lib/serving) with the MLmodel, signature, input example and environment files, logged
 * under `models/<variant>/` of the parent run; the model's own files (model.json and its
 * weights, history.json) go to `models/<variant>/native/`.
 */
import { readFile } from 'node:fs/promises';
import type { StageName, Variant } from '../lib/contracts/index.ts';
import { readItemsParquet, readUsersParquet } from '../lib/data/index.ts';
import { loadModel } from '../lib/models/load.ts';
import type { ModelFile } from '../lib/models/types.ts';
import { OnnxExportError, mlflowModelFiles, recommenderOnnx } from '../lib/serving/index.ts';
import type { ServingCatalog } from '../lib/serving/index.ts';
import type { MlflowClient } from '../lib/tracking/index.ts';
import { readSplitCsr } from './split-data.ts';
import type { StageContext } from './stage-runner.ts';

/** Items per user in the served lists (`augment recommend --k` takes up to this many). */
export const SERVING_K = 100;

/** The ID maps and seen items of the run's splits: read once, shared by A and B. */
export async function servingCatalog(ctx: StageContext<unknown>): Promise<ServingCatalog> {
  const users = await readUsersParquet(await ctx.inputFile('preprocess', 'users.parquet'));
  const { items } = await readItemsParquet(await ctx.inputFile('preprocess', 'items.parquet'));
  return {
    userIds: users.ids(),
    itemIds: items.ids(),
    // Ranked as evaluate ranks for the test split: train and validation items are seen.
    seen: [await readSplitCsr(ctx, 'train'), await readSplitCsr(ctx, 'valid')],
  };
}

export interface LoggedModel {
  /** The model version's source: `models/<variant>` of the run's artifacts. */
  source: string;
  /** `onnx`, or why the directory holds only the native files. */
  flavor: string;
}

export async function logServingModel(
  ctx: StageContext<unknown>,
  mlflow: MlflowClient,
  runId: string,
  stage: StageName,
  variant: Variant,
  catalog: () => Promise<ServingCatalog>,
): Promise<LoggedModel> {
  const dir = `models/${variant}`;
  const manifest = ctx.inputManifest(stage);
  const native: ModelFile[] = [];
  for (const f of manifest.files) {
    const path = await ctx.inputFile(stage, f.name);
    await mlflow.artifacts.upload(runId, `${dir}/native/${f.name}`, { file: path });
    if (f.name !== 'history.json')
      native.push({ name: f.name, bytes: new Uint8Array(await readFile(path)) });
  }
  const source = await mlflow.artifacts.uri(runId, dir);
  ctx.heartbeat({ phase: `exporting model ${variant} to ONNX` });
  const model = await loadModel(native);
  let onnx: Uint8Array;
  try {
    onnx = recommenderOnnx(model, await catalog(), {
      k: SERVING_K,
      metadata: { variant, model_sha256: manifest.sha256 },
    });
  } catch (err) {
    // Too large to export: the version still records the trained model, without a flavor.
    if (err instanceof OnnxExportError) return { source, flavor: `none: ${err.message}` };
    throw err;
  } finally {
    model.dispose();
  }
  const files = mlflowModelFiles({
    onnx,
    exampleUsers: (await catalog()).userIds.slice(0, 2),
    metadata: {
      family: model.family,
      variant,
      k: String(Math.min(SERVING_K, model.nItems)),
      model_sha256: manifest.sha256,
    },
    extraBytes: native.reduce((s, f) => s + f.bytes.byteLength, 0),
  });
  for (const f of files) await mlflow.artifacts.upload(runId, `${dir}/${f.name}`, f.bytes);
  return { source, flavor: 'onnx' };
}
