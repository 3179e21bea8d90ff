/** Which users the expansion asks about: the sparse ones, all, or N drawn at random (seeded). */
import { Rng } from '../training/random.ts';
import { rowCounts } from '../eval/csr.ts';
import type { Csr } from '../eval/types.ts';
import { selectUsers } from '../gan/augment.ts';
import { shuffled } from '../training/training-loop.ts';

export type LlmUsers = 'sparse' | 'all' | number;

/** Selected user ids, ascending. */
export function pickUsers(
  train: Csr,
  nUsers: number,
  mode: LlmUsers,
  sparseThreshold: number,
  seed: number,
): Int32Array {
  if (mode === 'sparse' || mode === 'all') return selectUsers(train, nUsers, mode, sparseThreshold);
  const counts = rowCounts(train);
  const active = Int32Array.from({ length: nUsers }, (_, u) => u).filter((u) => counts[u]! > 0);
  if (mode >= active.length) return active;
  return shuffled(active, new Rng(seed)).subarray(0, mode).sort();
}
