/**
 * The sparsest users, as evaluate's sparse-user segment picks them (fewest train rows; ties:
 * lower id): the users augmentation is for. Capped too: an augmentation source proposes
 * items for each user it augments, at a cost that grows with users x items.
 */
import { nonEmptyRows, rowCounts } from './csr.ts';
import { sparsestPositions } from './full-ranking.ts';
import type { Csr } from './types.ts';

/**
 * The `fraction` of users with train rows that have the fewest of them (at least one user
 * when there is any), at most `maxUsers`, ascending; 1 = every user with train rows.
 */
export function sparsestUsers(train: Csr, fraction: number, maxUsers = Infinity): Int32Array {
  const users = nonEmptyRows(train);
  if (fraction >= 1 && users.length <= maxUsers) return users;
  const positions = sparsestPositions(users, rowCounts(train), fraction, maxUsers);
  return Int32Array.from(positions, (q) => users[q]!);
}

/** `users` (ascending ids) cut to at most `max` of the sparsest in `train`, ascending. */
export function capSparsest(users: Int32Array, train: Csr, max: number): Int32Array {
  if (users.length <= max) return users;
  const positions = sparsestPositions(users, rowCounts(train), 1, max);
  return Int32Array.from(positions, (q) => users[q]!);
}
