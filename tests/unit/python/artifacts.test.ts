/**
 * The Python worker reads the Parquet files the TypeScript stages write (a preprocess split,
 * a resample training set) as the TypeScript readers do, and rejects bad input with errors
 * that name the file and what was expected.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeInteractionsParquet } from '../../../lib/data/table-io.ts';
import { writeTrainingSetParquet } from '../../../lib/data/training-set-io.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import { runPythonModule } from '../../helpers/python.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir('py-parquet-');

describe('Python Parquet readers', () => {
  it('read a preprocess split into the CSR csrFromCoo builds', async () => {
    const user = Int32Array.of(2, 0, 1, 0, 2, 2);
    const item = Int32Array.of(4, 1, 0, 3, 2, 1);
    const path = join(dir, 'train.parquet');
    await writeInteractionsParquet(path, {
      n: 6,
      user,
      item,
      rating: new Float32Array(6).fill(1),
      ts: Float64Array.from({ length: 6 }, (_, k) => k),
    });
    const got = JSON.parse(
      await runPythonModule('recsys_worker.equivalence', ['read-split', path, '3', '5']),
    ) as {
      indptr: number[];
      indices: number[];
    };
    const want = csrFromCoo(user, item, 6, 3);
    expect(got.indptr).toEqual(Array.from(want.indptr));
    expect(got.indices).toEqual(Array.from(want.indices));

    await expect(
      runPythonModule('recsys_worker.equivalence', ['read-split', path, '2', '5']),
    ).rejects.toThrow(`${path} row 0: user 2 is outside 0..1`);
  });

  it('read a training set with its footer sizes, and refuse other layouts', async () => {
    const path = join(dir, 'a.parquet');
    const set = {
      nUsers: 4,
      nItems: 9,
      n: 3,
      user: Int32Array.of(0, 3, 1),
      item: Int32Array.of(8, 2, 5),
      label: Uint8Array.of(1, 0, 1),
      weight: Float32Array.of(1, 0.25, 1.5),
      source: Uint8Array.of(0, 1, 0),
      score: Float32Array.of(0, 0.5, 0),
    };
    await writeTrainingSetParquet(path, set);
    const got = JSON.parse(
      await runPythonModule('recsys_worker.equivalence', ['read-set', path]),
    ) as Record<string, unknown>;
    expect(got).toEqual({
      nUsers: 4,
      nItems: 9,
      user: [0, 3, 1],
      item: [8, 2, 5],
      label: [1, 0, 1],
      weight: [1, 0.25, 1.5],
    });
    const split = join(dir, 'train.parquet');
    await expect(runPythonModule('recsys_worker.equivalence', ['read-set', split])).rejects.toThrow(
      `${split} is not a training set (layout missing)`,
    );
  });
});
