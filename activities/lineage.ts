/**
 * Dataset lineage in MLflow: the real splits (preprocess) and the variants' training sets
 * (resample) become inputs of the pipeline's run, with their SHA-256 and artifact-store URI,
 * so the run page lists what the models were trained, validated and tested on.
 */
import type { StageManifest } from '../lib/store/index.ts';
import type { DatasetInput } from '../lib/tracking/index.ts';

/** Per stage: file -> dataset name and MLflow's `mlflow.data.context`. */
const DATASETS: Record<string, Record<string, { name: string; context: string }>> = {
  preprocess: {
    'train.parquet': { name: 'train', context: 'training' },
    'valid.parquet': { name: 'valid', context: 'validation' },
    'test.parquet': { name: 'test', context: 'test' },
  },
  resample: {
    'a.parquet': { name: 'training set A (real)', context: 'training' },
    'b.parquet': { name: 'training set B (augmented)', context: 'training' },
  },
};

/** MLflow column types of the Parquet writer's column types. */
const COLUMN_TYPES: Record<string, string> = {
  int32: 'integer',
  float: 'float',
  double: 'double',
  string: 'string',
};

/** The datasets a stage's output contributes (none for most stages). */
export function stageDatasets(manifest: StageManifest): DatasetInput[] {
  const wanted = DATASETS[manifest.stage];
  if (!wanted) return [];
  const out: DatasetInput[] = [];
  for (const f of manifest.files) {
    const d = wanted[f.name];
    if (!d) continue;
    const scheme = /^([a-z][a-z0-9+.-]*):/.exec(f.uri)?.[1];
    out.push({
      name: d.name,
      // MLflow keeps 36 characters of a digest; the profile has the whole hash.
      digest: f.sha256.slice(0, 32),
      sourceType: !scheme || scheme === 'file' ? 'local' : scheme,
      source: JSON.stringify({ uri: f.uri }),
      ...(f.schema
        ? {
            schema: JSON.stringify({
              mlflow_colspec: Object.entries(f.schema).map(([name, type]) => ({
                type: COLUMN_TYPES[type] ?? 'string',
                name,
              })),
            }),
          }
        : {}),
      profile: JSON.stringify({ num_rows: f.rows, bytes: f.bytes, sha256: f.sha256 }),
      tags: { 'mlflow.data.context': d.context },
    });
  }
  return out;
}
