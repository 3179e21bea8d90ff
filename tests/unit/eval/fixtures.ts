// Shared builders for evaluation and baseline tests: small seeded datasets and scorers.
import { SplitMix32 } from '../../../lib/training/random.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import type { Csr, EvalData, Scorer } from '../../../lib/eval/types.ts';

/** CSR from an array of per-user item lists. */
export function csrOf(rows: number[][]): Csr {
  const user: number[] = [];
  const item: number[] = [];
  rows.forEach((items, u) => {
    for (const i of items) {
      user.push(u);
      item.push(i);
    }
  });
  return csrFromCoo(Int32Array.from(user), Int32Array.from(item), user.length, rows.length);
}

/** A scorer backed by a full users x items matrix (row per user id). */
export function matrixScorer(scores: Float32Array, nItems: number): Scorer {
  return {
    scoreUsers(userIds, out) {
      for (let r = 0; r < userIds.length; r++) {
        const u = userIds[r]!;
        out.set(scores.subarray(u * nItems, (u + 1) * nItems), r * nItems);
      }
    },
  };
}

/**
 * Random disjoint train/valid/test lists: each user draws distinct items (skewed towards
 * low ids so popularity varies), the first go to train, then one to valid, the rest to test.
 */
export function randomSplits(
  seed: number,
  nUsers: number,
  nItems: number,
  perUser: [number, number],
): EvalData {
  const rng = new SplitMix32(seed);
  const train: number[][] = [];
  const valid: number[][] = [];
  const test: number[][] = [];
  for (let u = 0; u < nUsers; u++) {
    const want = perUser[0] + rng.int(perUser[1] - perUser[0] + 1);
    const items = new Set<number>();
    while (items.size < Math.min(want, nItems)) items.add(Math.floor(rng.next() ** 2 * nItems));
    const list = [...items];
    const nTest = Math.min(1 + rng.int(3), Math.max(0, list.length - 1));
    const nValid = list.length - nTest > 2 ? 1 : 0;
    test.push(list.slice(0, nTest));
    valid.push(list.slice(nTest, nTest + nValid));
    train.push(list.slice(nTest + nValid));
  }
  return { nUsers, nItems, train: csrOf(train), valid: csrOf(valid), test: csrOf(test) };
}

/**
 * Clustered implicit feedback: items form `clusters` equal groups, each user belongs to
 * one cluster (user u is in cluster u % clusters) and picks ~90% of their items inside it;
 * a popularity skew makes low-id items of every cluster popular. Each user has between
 * perUser[0] and perUser[1] items. Leave-one-out: the last pick is the test item.
 */
export function clusteredData(
  seed: number,
  nUsers: number,
  nItems: number,
  clusters: number,
  perUser: [number, number],
): EvalData & { clusterOf: (item: number) => number } {
  const rng = new SplitMix32(seed);
  const size = Math.floor(nItems / clusters);
  const train: number[][] = [];
  const test: number[][] = [];
  for (let u = 0; u < nUsers; u++) {
    const c = u % clusters;
    const items: number[] = [];
    const seen = new Set<number>();
    const want = perUser[0] + rng.int(perUser[1] - perUser[0] + 1);
    while (items.length < want) {
      const inCluster = rng.next() < 0.9;
      const base = inCluster ? c * size : rng.int(clusters) * size;
      const i = base + Math.floor(rng.next() ** 1.5 * size);
      if (seen.has(i)) continue;
      seen.add(i);
      items.push(i);
    }
    test.push(items.slice(-1));
    train.push(items.slice(0, -1));
  }
  return {
    nUsers,
    nItems,
    train: csrOf(train),
    test: csrOf(test),
    clusterOf: (item) => Math.floor(item / size),
  };
}
