/**
 * Parquet layout of a training set (the resample stage's A and B): one row per
 * (user, item) with its label, loss weight, provenance and score. nUsers/nItems travel in
 * the footer metadata, because a training set need not touch every user or item.
 */
import type { TrainingSet } from '../models/types.ts';
import { readParquet, typedColumn, writeParquet } from './parquet.ts';
import type { WrittenTable } from './table-io.ts';

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
    { metadata: { nUsers: String(t.nUsers), nItems: String(t.nItems), layout: 'training-set/1' } },
  );
}

export async function readTrainingSetParquet(source: string | Uint8Array): Promise<LabeledSet> {
  const t = await readParquet(source);
  const label = typeof source === 'string' ? source : 'training set';
  if (t.metadata.layout !== 'training-set/1')
    throw new Error(`${label} is not a training set (layout ${t.metadata.layout ?? 'missing'})`);
  const col = <T extends Int32Array | Float32Array>(name: string, type: new (n: number) => T) =>
    typedColumn(t, name, type, label);
  return {
    n: t.rows,
    nUsers: Number(t.metadata.nUsers),
    nItems: Number(t.metadata.nItems),
    user: col('user', Int32Array),
    item: col('item', Int32Array),
    label: Uint8Array.from(col('label', Int32Array)),
    weight: col('weight', Float32Array),
    source: Uint8Array.from(col('source', Int32Array)),
    score: col('score', Float32Array),
  };
}
