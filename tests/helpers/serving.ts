/**
 * Helpers of the serving tests: the pipeline's own top-K of a model (the TS scorer, seen
 * items excluded, lib/eval/topk.ts), MLflow's pyfunc run in the venv's Python, and a
 * comparison of ranked lists that tolerates float-level reordering of near-equal scores.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { TopKSelector } from '../../lib/eval/topk.ts';
import type { Csr } from '../../lib/eval/types.ts';
import type { TrainedModel } from '../../lib/models/types.ts';
import type { Recommendation } from '../../lib/serving/onnx-recommend.ts';

const root = join(import.meta.dirname, '..', '..');
export const VENV_PYTHON = join(root, '.venv', 'bin', 'python');

/** The pipeline's top `k` of each dense user, with original item IDs. */
export async function pipelineTopK(
  model: TrainedModel,
  users: number[],
  seen: Csr[],
  itemIds: readonly string[],
  k: number,
): Promise<Recommendation[][]> {
  const n = model.nItems;
  const scores = new Float32Array(users.length * n);
  await model.scoreUsers(Int32Array.from(users), scores);
  const top = new TopKSelector(k);
  return users.map((u, r) => {
    for (const s of seen)
      for (let a = s.indptr[u]!; a < s.indptr[u + 1]!; a++)
        scores[r * n + s.indices[a]!] = -Infinity;
    const count = top.select(scores, r * n, n);
    return Array.from({ length: count }, (_, j) => ({
      rank: j + 1,
      item: itemIds[top.ids[j]!]!,
      score: top.scores[j]!,
    }));
  });
}

/**
 * Equal lists: the same length, scores within `tol` (relative to the list's scale) and the
 * same item at each rank, unless two items' scores are that close (a tie either side may win).
 */
export function expectSameLists(got: Recommendation[], want: Recommendation[], label: string) {
  expect(got.length, `${label}: length`).toBe(want.length);
  const scale = Math.max(1e-6, ...want.map((r) => Math.abs(r.score)));
  const tol = 1e-4 * scale;
  for (let r = 0; r < want.length; r++) {
    expect(
      Math.abs(got[r]!.score - want[r]!.score),
      `${label}: score at rank ${r + 1}`,
    ).toBeLessThan(tol);
    if (got[r]!.item === want[r]!.item) continue;
    const wantScoreOfGot = want.find((w) => w.item === got[r]!.item)?.score;
    expect(
      wantScoreOfGot !== undefined && Math.abs(wantScoreOfGot - want[r]!.score) < tol,
      `${label}: rank ${r + 1} is ${got[r]!.item}, expected ${want[r]!.item} (not a near-tie)`,
    ).toBe(true);
  }
}

/** Lists by user from the rows mlflow.pyfunc returned (one row per user and rank). */
export function listsOfRows(
  rows: [string, number, string, number][],
  users: readonly string[],
): Recommendation[][] {
  return users.map((u) =>
    rows
      .filter((r) => r[0] === u && r[2] !== '')
      .map(([, rank, item, score]) => ({ rank, item, score }))
      .sort((a, b) => a.rank - b.rank),
  );
}

/** Runs tests/helpers/pyfunc_predict.py: the model's rows for `users` via mlflow.pyfunc. */
export function pyfuncPredict(
  modelUri: string,
  users: readonly string[],
  env: Record<string, string> = {},
): Promise<{ columns: string[]; rows: [string, number, string, number][] }> {
  if (!existsSync(VENV_PYTHON))
    throw new Error(`${VENV_PYTHON} is missing: run \`node infra/setup.mjs\``);
  const script = join(import.meta.dirname, 'pyfunc_predict.py');
  return new Promise((resolve, reject) => {
    const child = spawn(VENV_PYTHON, [script, modelUri, ...users], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`pyfunc_predict.py exited ${code}: ${err.slice(-2000)}`));
      else
        resolve(JSON.parse(out) as { columns: string[]; rows: [string, number, string, number][] });
    });
  });
}
