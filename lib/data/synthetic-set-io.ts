/**
 * Parquet layout of an augmentation stage's output: one row per synthetic (user, item)
 * with its label (1 = liked, 0 = disliked), generator score and, when the generator has one,
 * a plausibility (for pruning); which generator made them
 * (`gan`, `llm`, `teacher`) and the id-space size travel in the footer metadata.
 */
import { join } from 'node:path';
import { SYNTHETIC_SOURCE_NAMES } from './row-sets.ts';
import type { SyntheticSource, SyntheticSourceName } from './row-sets.ts';
import { readLabeledRows } from './labeled-rows.ts';
import { writeParquet } from './parquet.ts';
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

/**
 * `t` written as `dir`/`name`, described as a stage's output file (name, path, rows, schema
 * and the hash the writer computed).
 */
export async function writeSyntheticFile(
  dir: string,
  name: string,
  t: SyntheticRowsFile,
): Promise<{
  name: string;
  path: string;
  rows: number;
  schema: Record<string, string>;
  sha256: string;
}> {
  const path = join(dir, name);
  const { schema, sha256 } = await writeSyntheticParquet(path, t);
  return { name, path, rows: t.n, schema, sha256 };
}

export async function readSyntheticParquet(
  source: string | Uint8Array,
): Promise<SyntheticRowsFile> {
  const { table, name, col, rows } = await readLabeledRows(
    source,
    LAYOUT,
    'a synthetic-rows file',
    'synthetic rows',
  );
  const kind = table.metadata.source as SyntheticSourceName;
  if (!SYNTHETIC_SOURCE_NAMES.includes(kind))
    throw new Error(`${name}: unknown source ${String(kind)}`);
  return {
    ...rows,
    source: kind,
    score: col('score', Float32Array),
    ...(table.schema.some((c) => c.name === 'plausibility')
      ? { plausibility: col('plausibility', Float32Array) }
      : {}),
  };
}
