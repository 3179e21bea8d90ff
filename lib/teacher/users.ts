/** Which users the teacher augments: the sparsest share of them, as evaluate's segment does. */
import { nonEmptyRows, rowCounts } from '../eval/csr.ts';
import { sparsestPositions } from '../eval/full-ranking.ts';
import type { Csr } from '../eval/types.ts';

/**
 * The `fraction` of users with train rows that have the fewest of them (ties: lower user id
 * first; at least one user when there is any), at most `maxUsers`, ascending; 1 = every user
 * with train rows.
 */
export function teacherUsers(train: Csr, fraction: number, maxUsers = Infinity): Int32Array {
  const users = nonEmptyRows(train);
  if (fraction >= 1 && users.length <= maxUsers) return users;
  const positions = sparsestPositions(users, rowCounts(train), fraction, maxUsers);
  return Int32Array.from(positions, (q) => users[q]!);
}
