/**
 * The two halves of the validation users the policy works with, against the winner's curse:
 * the best of many candidates on one sample of users looks better there than it is. Models
 * are early-stopped and ranked on the selection half only; the pick must also beat A on the
 * confirmation half, which nothing chose on, so its figures there are an unbiased estimate.
 * Stratified: the sparse users (the segment the choice is about) and the others are each
 * shuffled with the run's seed and dealt alternately, so each half holds half of each.
 */
import { nonEmptyRows, rowCounts } from '../eval/csr.ts';
import { sparsestPositions } from '../eval/full-ranking.ts';
import type { Csr } from '../eval/types.ts';
import { Rng } from '../training/random.ts';

export interface ValidationHalves {
  /** User ids, ascending: the users that early stopping and the ranking of candidates see. */
  selection: Int32Array;
  /** User ids, ascending: the users that only confirm the pick. */
  confirmation: Int32Array;
}

/**
 * Splits the users with a validation item. `sparseFraction` defines the sparse segment as
 * the evaluation does (fewest train items); with an odd count the selection half gets the
 * extra user.
 */
export function validationHalves(
  train: Csr,
  valid: Csr,
  sparseFraction: number,
  seed: number,
): ValidationHalves {
  const users = nonEmptyRows(valid);
  const sparse = new Uint8Array(users.length);
  for (const q of sparsestPositions(users, rowCounts(train), sparseFraction)) sparse[q] = 1;
  const rng = new Rng(seed);
  const half = new Uint8Array(users.length);
  for (const segment of [1, 0]) {
    const members = Int32Array.from(users.keys()).filter((q) => sparse[q] === segment);
    shuffle(members, rng);
    members.forEach((q, r) => (half[q] = r % 2));
  }
  return {
    selection: users.filter((_, q) => half[q] === 0),
    confirmation: users.filter((_, q) => half[q] === 1),
  };
}

/** Fisher-Yates with the given stream. */
function shuffle(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
