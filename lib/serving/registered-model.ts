/**
 * The `model.onnx` of a registered model version, found by alias (`champion`) or version
 * number through MLflow's registry and artifact proxy.
 */
import type { MlflowClient, ModelVersion } from '../tracking/index.ts';
import { MlflowError, tagMap } from '../tracking/index.ts';
import { ONNX_FILE } from './mlflow-model.ts';

export interface ServingModel {
  version: ModelVersion;
  onnx: Uint8Array;
}

/** `ref`: a version number (`7`) or an alias (`champion`). Throws saying what is missing. */
export async function downloadServingModel(
  mlflow: MlflowClient,
  name: string,
  ref: string,
): Promise<ServingModel> {
  if (!(await mlflow.registry.getModel(name)))
    throw new Error(
      `MLflow has no registered model ${name} (a pipeline run registers its models under registry.model, else its name)`,
    );
  const version = /^\d+$/.test(ref)
    ? await mlflow.registry.getVersion(name, ref)
    : await mlflow.registry.getVersionByAlias(name, ref);
  if (!version)
    throw new Error(
      `registered model ${name} has no alias ${ref}; it is set when a run promotes a model (or name a version number)`,
    );
  const flavor = tagMap(version.tags).mlflow_flavor;
  if (flavor !== undefined && flavor !== 'onnx')
    throw new Error(`${name} version ${version.version} has no ONNX model (${flavor})`);
  if (!version.run_id || !version.source)
    throw new Error(`${name} version ${version.version} names no run and source`);
  const root = await mlflow.artifacts.uri(version.run_id);
  if (!version.source.startsWith(`${root}/`))
    throw new Error(
      `${name} version ${version.version}: source ${version.source} is not in its run's artifacts (${root})`,
    );
  const dir = version.source.slice(root.length + 1);
  try {
    const onnx = await mlflow.artifacts.download(version.run_id, `${dir}/${ONNX_FILE}`);
    return { version, onnx };
  } catch (err) {
    if (err instanceof MlflowError && err.notFound)
      throw new Error(
        `${name} version ${version.version} has no ${ONNX_FILE} in ${version.source}: it is not an MLflow model (a pipeline run registers new versions as MLflow models)`,
      );
    throw err;
  }
}
