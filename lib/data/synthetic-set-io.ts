/**
 * Parquet layout of an augmentation stage's output: one row per synthetic (user, item)
 * with its label (1 = liked, 0 = disliked), generator score and, when the generator has one,
 * a plausibility (for pruning); which generator made them
 * (`gan`, `llm`) and the id-space size travel in the footer metadata.
 */
import type { SyntheticSource } from '../sampling/types.ts';
import { readParquet, typedColumn, writeParquet } from './parquet.ts';
import type { WrittenTable } from './table-io.ts';

const LAYOUT = 'synthetic-rows/1';

export interface SyntheticRowsFile extends SyntheticSource {
  nUsers: number;
  nItems: number;
}

export function writeSyntheticParquet(path: string, t: SyntheticRowsFile): Promise<WrittenTable> {
  const label = t.label ? Int32Array.from(t.label.subarray(0, t.n)) : new Int32Array(t.n).fill(1);
  return writeParquet(
    path,
    {
      user: t.user.subarray(0, t.n),
      item: t.item.subarray(0, t.n),
      label,
      score: t.score.subarray(0, t.n),
      ...(t.plausibility ? { plausibility: t.plausibility.subarray(0, t.n) } : {}),
    },
    {
      metadata: {
        layout: LAYOUT,
        source: t.source,
        nUsers: String(t.nUsers),
        nItems: String(t.nItems),
      },
    },
  );
}

export async function readSyntheticParquet(
  source: string | Uint8Array,
): Promise<SyntheticRowsFile> {
  const t = await readParquet(source);
  const name = typeof source === 'string' ? source : 'synthetic rows';
  if (t.metadata.layout !== LAYOUT)
    throw new Error(
      `${name} is not a synthetic-rows file (layout ${t.metadata.layout ?? 'missing'})`,
    );
  const kind = t.metadata.source;
  if (kind !== 'gan' && kind !== 'llm') throw new Error(`${name}: unknown source ${String(kind)}`);
  const col = <T extends Int32Array | Float32Array>(c: string, type: new (n: number) => T) =>
    typedColumn(t, c, type, name);
  return {
    source: kind,
    n: t.rows,
    nUsers: Number(t.metadata.nUsers),
    nItems: Number(t.metadata.nItems),
    user: col('user', Int32Array),
    item: col('item', Int32Array),
    label: Uint8Array.from(col('label', Int32Array)),
    score: col('score', Float32Array),
    ...(t.schema.some((c) => c.name === 'plausibility')
      ? { plausibility: col('plausibility', Float32Array) }
      : {}),
  };
}
