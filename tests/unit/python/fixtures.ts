/**
 * Small seeded data for the TypeScript/Python equivalence tests, and the JSON both sides
 * train from.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import type { Csr } from '../../../lib/eval/types.ts';
import type { TrainingSet } from '../../../lib/models/types.ts';
import { Rng } from '../../../lib/training/random.ts';
import { unpackState } from '../../../lib/training/train-state.ts';
import { runPythonModule } from '../../helpers/python.ts';
import { tempDir } from '../../helpers/tmp.ts';

export interface Splits {
  nUsers: number;
  nItems: number;
  train: Csr;
  valid: Csr;
}

/** Users with 2..8 distinct train items each (every user active) and one valid item. */
export function smallSplits(nUsers: number, nItems: number, seed: number): Splits {
  const rng = new Rng(seed);
  const tu: number[] = [];
  const ti: number[] = [];
  const vu: number[] = [];
  const vi: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const items = new Set<number>();
    const want = 2 + rng.int(7);
    // Popular items more often: a skewed draw, as real data has.
    while (items.size < want) items.add(Math.floor(nItems * rng.next() ** 2));
    for (const i of items) {
      tu.push(u);
      ti.push(i);
    }
    let v = rng.int(nItems);
    while (items.has(v)) v = (v + 1) % nItems;
    vu.push(u);
    vi.push(v);
  }
  const csr = (u: number[], i: number[]) =>
    csrFromCoo(Int32Array.from(u), Int32Array.from(i), u.length, nUsers);
  return { nUsers, nItems, train: csr(tu, ti), valid: csr(vu, vi) };
}

/** A training set over the train split: weights in (0.5, 1.5], some explicit negatives. */
export function trainingSetOf(s: Splits, seed: number): TrainingSet {
  const rng = new Rng(seed);
  const user: number[] = [];
  const item: number[] = [];
  const label: number[] = [];
  const weight: number[] = [];
  for (let u = 0; u < s.nUsers; u++) {
    const own = new Set(s.train.indices.subarray(s.train.indptr[u], s.train.indptr[u + 1]));
    for (const i of own) {
      user.push(u);
      item.push(i);
      label.push(1);
      weight.push(0.5 + rng.next());
    }
    if (u % 3 === 0) {
      let j = rng.int(s.nItems);
      while (own.has(j)) j = (j + 1) % s.nItems;
      user.push(u);
      item.push(j);
      label.push(0);
      weight.push(1);
    }
  }
  return {
    nUsers: s.nUsers,
    nItems: s.nItems,
    n: user.length,
    user: Int32Array.from(user),
    item: Int32Array.from(item),
    label: Uint8Array.from(label),
    weight: Float32Array.from(weight),
  };
}

const csrJson = (c: Csr) => ({ indptr: Array.from(c.indptr), indices: Array.from(c.indices) });

export function writeFixture(dir: string, name: string, value: Record<string, unknown>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify(value, (_k, v: unknown) =>
      ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v,
    ),
  );
  return path;
}

export function splitsJson(s: Splits) {
  return { nUsers: s.nUsers, nItems: s.nItems, train: csrJson(s.train), valid: csrJson(s.valid) };
}

/**
 * Trains `kind` (bpr, neumf, ials) in Python on `fixture` (recsys_worker.equivalence),
 * optionally resumed from a checkpoint file: its checkpoint after each epoch and its files.
 */
export async function runPythonTrainer(
  kind: string,
  fixture: Record<string, unknown>,
  resume?: string,
) {
  const dir = tempDir(`py-${kind}-`);
  const path = writeFixture(dir, kind, fixture);
  const out = join(dir, 'out');
  await runPythonModule('recsys_worker.equivalence', [
    kind,
    path,
    out,
    ...(resume ? ['--resume', resume] : []),
  ]);
  return {
    at: (epoch: number) => join(out, `epoch-${epoch}.bin`),
    state: (epoch: number) => unpackState(readFileSync(join(out, `epoch-${epoch}.bin`))),
    file: (name: string) => new Uint8Array(readFileSync(join(out, name))),
  };
}
