import type { Interactions } from '../../lib/data/index.ts';
import type { TrainingSet } from '../../lib/models/index.ts';
import { Rng } from '../../lib/training/random.ts';

/** Extra rows appended to a training set (e.g. explicit negatives), weight 1. */
export type ExtraRow = { user: number; item: number; label: 0 | 1 };

/** The positives of `t` (weight 1) as a training set, followed by `extra`. */
export function trainingSetOf(
  t: Interactions,
  nUsers: number,
  nItems: number,
  extra: ExtraRow[] = [],
): TrainingSet {
  const n = t.n + extra.length;
  const set: TrainingSet = {
    nUsers,
    nItems,
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    label: new Uint8Array(n).fill(1),
    weight: new Float32Array(n).fill(1),
  };
  set.user.set(t.user.subarray(0, t.n));
  set.item.set(t.item.subarray(0, t.n));
  extra.forEach((r, k) => {
    set.user[t.n + k] = r.user;
    set.item[t.n + k] = r.item;
    set.label[t.n + k] = r.label;
  });
  return set;
}

/**
 * `n` random rows of `nUsers` x `nItems` drawn with `seed`: per row a user, an item and a
 * label (1 nine times in ten, else an explicit negative), and with `randomWeights` a weight
 * in 0.5 .. 1.5 (else 1), in that order from one stream.
 */
export function randomTrainingSet(
  nUsers: number,
  nItems: number,
  n: number,
  seed: number,
  randomWeights = false,
): TrainingSet {
  const rng = new Rng(seed);
  const set: TrainingSet = {
    nUsers,
    nItems,
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    label: new Uint8Array(n),
    weight: new Float32Array(n).fill(1),
  };
  for (let k = 0; k < n; k++) {
    set.user[k] = rng.int(nUsers);
    set.item[k] = rng.int(nItems);
    set.label[k] = rng.next() < 0.9 ? 1 : 0;
    if (randomWeights) set.weight[k] = 0.5 + rng.next();
  }
  return set;
}
