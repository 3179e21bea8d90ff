import { describe, expect, it } from 'vitest';
import { stageDatasets } from '../../../activities/lineage.ts';
import type { StageManifest } from '../../../lib/store/index.ts';

function manifest(stage: string, files: StageManifest['files']): StageManifest {
  return { stage, files } as StageManifest;
}

const sha = 'ab'.repeat(32);

describe('dataset lineage', () => {
  it('maps the splits to training, validation and test inputs with their hashes and URIs', () => {
    const file = (name: string, uri: string) => ({
      name,
      uri,
      bytes: 10,
      sha256: sha,
      rows: 3,
      schema: { user: 'int32', item: 'int32', rating: 'float' },
    });
    const out = stageDatasets(
      manifest('preprocess', [
        file('train.parquet', 's3://b/stages/preprocess/k/train.parquet'),
        file('valid.parquet', 's3://b/stages/preprocess/k/valid.parquet'),
        file('test.parquet', 'file:///data/stages/preprocess/k/test.parquet'),
        file('users.parquet', 's3://b/stages/preprocess/k/users.parquet'),
      ]),
    );
    expect(out.map((d) => [d.name, d.tags?.['mlflow.data.context'], d.sourceType])).toEqual([
      ['train', 'training', 's3'],
      ['valid', 'validation', 's3'],
      ['test', 'test', 'local'],
    ]);
    expect(out[0]).toMatchObject({
      digest: sha.slice(0, 32),
      source: JSON.stringify({ uri: 's3://b/stages/preprocess/k/train.parquet' }),
    });
    expect(JSON.parse(out[0]!.profile!)).toEqual({ num_rows: 3, bytes: 10, sha256: sha });
    expect(JSON.parse(out[0]!.schema!).mlflow_colspec).toEqual([
      { type: 'integer', name: 'user' },
      { type: 'integer', name: 'item' },
      { type: 'float', name: 'rating' },
    ]);
  });

  it("names the variants' training sets, and nothing for other stages", () => {
    const f = (name: string) => ({ name, uri: `s3://b/${name}`, bytes: 1, sha256: sha });
    expect(
      stageDatasets(manifest('resample', [f('a.parquet'), f('b.parquet')])).map((d) => d.name),
    ).toEqual(['training set A (real)', 'training set B (augmented)']);
    expect(stageDatasets(manifest('evaluate', [f('evaluation.json')]))).toEqual([]);
  });
});
