/**
 * The files of an MLflow model directory around a recommender's `model.onnx`: `MLmodel`
 * with the `onnx` flavor and the `python_function` flavor (loader `mlflow.onnx`), the
 * signature, an input example, and the environment (`requirements.txt`, `conda.yaml`,
 * `python_env.yaml`) naming onnxruntime. `mlflow.pyfunc.load_model`, `mlflow models serve`
 * and any ONNX runtime read the directory without this project's code.
 */
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { ONNX_INPUT } from './recommender-onnx.ts';

/** Versions written into the environment files; infra/versions.json pins the same. */
export const SERVING_VERSIONS = {
  mlflow: '3.17.2',
  onnx: '1.23.2',
  onnxruntime: '1.31.1',
  /** The Python the environment files ask for (MLflow's virtualenv manager installs it). */
  python: '3.11',
} as const;

/** The file MLflow's onnx flavor loads. */
export const ONNX_FILE = 'model.onnx';

/** MLflow column types of the pyfunc output (one row per user and rank). */
const OUTPUT_SCHEMA = [
  { type: 'string', name: 'user', required: true },
  { type: 'long', name: 'rank', required: true },
  { type: 'string', name: 'item', required: true },
  { type: 'float', name: 'score', required: true },
];

export interface MlflowModelInput {
  /** The `.onnx` bytes (recommenderOnnx). */
  onnx: Uint8Array;
  /** User IDs for the input example (a few real ones). */
  exampleUsers: readonly string[];
  /** MLmodel `metadata` (family, variant, k, hashes). */
  metadata: Record<string, string>;
  /** Bytes of other files shipped in the directory, counted in `model_size_bytes`. */
  extraBytes?: number;
  /** `utc_time_created`. @default now */
  created?: Date;
}

export interface MlflowModelFile {
  name: string;
  bytes: Uint8Array;
}

/** Every file of the directory (model.onnx first), relative names. */
export function mlflowModelFiles(input: MlflowModelInput): MlflowModelFile[] {
  const v = SERVING_VERSIONS;
  const text = (name: string, s: string): MlflowModelFile => ({
    name,
    bytes: new TextEncoder().encode(s),
  });
  const requirements = [`mlflow==${v.mlflow}`, `onnx==${v.onnx}`, `onnxruntime==${v.onnxruntime}`];
  const example = {
    columns: [ONNX_INPUT],
    data: input.exampleUsers.map((u) => [u]),
  };
  const files = [
    { name: ONNX_FILE, bytes: input.onnx },
    text('input_example.json', JSON.stringify(example)),
    text(
      'serving_input_example.json',
      `${JSON.stringify({ dataframe_split: example }, null, 2)}\n`,
    ),
    text('requirements.txt', `${requirements.join('\n')}\n`),
    text(
      'conda.yaml',
      stringify({
        channels: ['conda-forge'],
        dependencies: [`python=${v.python}`, 'pip', { pip: requirements }],
        name: 'mlflow-env',
      }),
    ),
    text(
      'python_env.yaml',
      stringify({
        python: v.python,
        build_dependencies: ['pip', 'setuptools', 'wheel'],
        dependencies: ['-r requirements.txt'],
      }),
    ),
  ];
  const size = files.reduce((s, f) => s + f.bytes.byteLength, input.extraBytes ?? 0);
  const mlmodel = {
    flavors: {
      onnx: {
        code: null,
        data: ONNX_FILE,
        onnx_session_options: null,
        onnx_version: v.onnx,
        providers: ['CPUExecutionProvider'],
      },
      python_function: {
        data: ONNX_FILE,
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
        loader_module: 'mlflow.onnx',
        python_version: v.python,
      },
    },
    metadata: input.metadata,
    mlflow_version: v.mlflow,
    model_size_bytes: size,
    model_uuid: randomUUID().replaceAll('-', ''),
    saved_input_example_info: {
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
    },
    signature: {
      inputs: JSON.stringify([{ type: 'string', name: ONNX_INPUT, required: true }]),
      outputs: JSON.stringify(OUTPUT_SCHEMA),
      params: null,
    },
    utc_time_created: (input.created ?? new Date())
      .toISOString()
      .replace('T', ' ')
      .replace('Z', ''),
  };
  return [...files, text('MLmodel', stringify(mlmodel))];
}
