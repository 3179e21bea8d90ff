/**
 * Parquet layout of a training set (the resample stage's A and B): one row per
 * (user, item) with its label, loss weight, provenance and score. nUsers/nItems travel in
 * the footer metadata, because a training set need not touch every user or item.
 */
import type { TrainingSet } from './row-sets.ts';
import { readLabeledRows } from './labeled-rows.ts';
import { writeParquet } from './parquet.ts';
import type { WrittenTable } from './table-io.ts';

const LAYOUT = 'training-set/1';

/** A training set with provenance: `source` codes are defined by the resample stage. */
export interface LabeledSet extends TrainingSet {
  source: Uint8Array;
  score: Float32Array;
}

export function writeTrainingSetParquet(path: string, t: LabeledSet): Promise<WrittenTable> {
  return writeParquet(
    path,
    {
      user: t.user.subarray(0, t.n),
      item: t.item.subarray(0, t.n),
      label: Int32Array.from(t.label.subarray(0, t.n)),
      weight: t.weight.subarray(0, t.n),
      source: Int32Array.from(t.source.subarray(0, t.n)),
      score: t.score.subarray(0, t.n),
    },
    { metadata: { nUsers: String(t.nUsers), nItems: String(t.nItems), layout: LAYOUT } },
  );
}

export async function readTrainingSetParquet(source: string | Uint8Array): Promise<LabeledSet> {
  const { rows, col } = await readLabeledRows(source, LAYOUT, 'a training set', 'training set');
  return {
    ...rows,
    weight: col('weight', Float32Array),
    source: Uint8Array.from(col('source', Int32Array)),
    score: col('score', Float32Array),
  };
}
