/**
 * Early stopping's validation users, capped: at 10M interactions a validation pass ranks
 * every item for 50K users (~4 s, more than an SGD epoch), once per epoch. A seeded uniform
 * sample of at most `maxUsers` of the users with validation items keeps that bounded. The
 * same users are scored every epoch, so epoch-to-epoch comparisons stay paired; the final
 * A/B evaluation always ranks every test user.
 */
import { Rng } from '../training/random.ts';
import { nonEmptyRows } from '../eval/csr.ts';
import type { Csr } from '../eval/types.ts';
import type { ValidationData } from './types.ts';

/** Derives the sample's generator from the run seed (its own stream, not an epoch's). */
const SAMPLE_STREAM = 0x5a17d;

/**
 * `v` with its validation CSR cut to a seeded sample of `maxUsers` users (their items
 * whole; other rows empty), or `v` itself when no more than `maxUsers` users have items
 * or `maxUsers` is 0 (no cap).
 */
export function sampleValidationUsers(
  v: ValidationData,
  maxUsers: number,
  seed: number,
): ValidationData {
  const users = nonEmptyRows(v.valid);
  const candidates = users.length;
  if (maxUsers <= 0 || candidates <= maxUsers) return v;
  // A partial Fisher-Yates: the first maxUsers slots become a uniform sample.
  const rng = new Rng((seed ^ SAMPLE_STREAM) >>> 0);
  for (let k = 0; k < maxUsers; k++) {
    const j = k + rng.int(candidates - k);
    const t = users[k]!;
    users[k] = users[j]!;
    users[j] = t;
  }
  const keep = new Uint8Array(v.valid.indptr.length - 1);
  for (let k = 0; k < maxUsers; k++) keep[users[k]!] = 1;
  return { train: v.train, valid: keepRows(v.valid, keep) };
}

/** The rows of `csr` whose `keep` flag is set; the others become empty. */
function keepRows(csr: Csr, keep: Uint8Array): Csr {
  const { indptr, indices } = csr;
  const rows = indptr.length - 1;
  const ptr = new Int32Array(rows + 1);
  for (let u = 0; u < rows; u++) ptr[u + 1] = ptr[u]! + (keep[u] ? indptr[u + 1]! - indptr[u]! : 0);
  const out = new Int32Array(ptr[rows]!);
  for (let u = 0; u < rows; u++)
    if (keep[u]) out.set(indices.subarray(indptr[u]!, indptr[u + 1]!), ptr[u]!);
  return { indptr: ptr, indices: out };
}
