/**
 * Serving the registered recommenders: an ONNX export of every model family (top-K item IDs
 * by user ID) and the MLflow model directory around it. Inference with onnxruntime-node
 * (onnx-recommend.ts) and the registry download (registered-model.ts) are imported from their
 * modules, so the register activity never loads the native runtime.
 */
export {
  ONNX_INPUT,
  ONNX_MAX_BYTES,
  ONNX_OUTPUTS,
  OnnxExportError,
  recommenderOnnx,
} from './recommender-onnx.ts';
export type { RecommenderOnnxOptions, ServingCatalog } from './recommender-onnx.ts';
export { ONNX_FILE, SERVING_VERSIONS, mlflowModelFiles } from './mlflow-model.ts';
export type { MlflowModelFile, MlflowModelInput } from './mlflow-model.ts';
