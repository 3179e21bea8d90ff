/**
 * Parquet layout of a training set (the resample stage's A and B): one row per
 * (user, item) with its label, loss weight, provenance and score. nUsers/nItems travel in
 * the footer metadata, because a training set need not touch every user or item.
 */
import type { TrainingSet } from '../models/types.ts';
import { readParquet, writeParquet } from './parquet.ts';
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
  const col = <T>(name: string, type: new (n: number) => T): T => {
    const c = t.columns[name];
    if (!(c instanceof type)) throw new Error(`${label}: column ${name} has the wrong type`);
    return c;
  };
  const empty = t.rows === 0;
  return {
    n: t.rows,
    nUsers: Number(t.metadata.nUsers),
    nItems: Number(t.metadata.nItems),
    user: empty ? new Int32Array(0) : col('user', Int32Array),
    item: empty ? new Int32Array(0) : col('item', Int32Array),
    label: empty ? new Uint8Array(0) : Uint8Array.from(col('label', Int32Array)),
    weight: empty ? new Float32Array(0) : col('weight', Float32Array),
    source: empty ? new Uint8Array(0) : Uint8Array.from(col('source', Int32Array)),
    score: empty ? new Float32Array(0) : col('score', Float32Array),
  };
}
