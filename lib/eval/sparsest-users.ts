/**
 * The sparsest users of a selection, capped: an augmentation source proposes items for each
 * user it augments, at a cost that grows with users x items, so above `max` users it keeps
 * the ones with the fewest train rows (the users augmentation is for; ties: lower id).
 */
import { rowCounts } from './csr.ts';
import { sparsestPositions } from './full-ranking.ts';
import type { Csr } from './types.ts';

/** `users` (ascending ids) cut to at most `max` of the sparsest in `train`, ascending. */
export function capSparsest(users: Int32Array, train: Csr, max: number): Int32Array {
  if (users.length <= max) return users;
  const positions = sparsestPositions(users, rowCounts(train), 1, max);
  return Int32Array.from(positions, (q) => users[q]!);
}
