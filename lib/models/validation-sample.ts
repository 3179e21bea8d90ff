/**
 * Early stopping's validation users, capped: at 10M interactions a validation pass ranks
 * every item for 50K users (~4 s, more than an SGD epoch), once per epoch. A seeded uniform
 * sample of at most `maxUsers` of the users with validation items keeps that bounded. The
 * same users are scored every epoch, so epoch-to-epoch comparisons stay paired.
 */
import { sampleRows } from '../eval/row-sample.ts';
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
  const valid = sampleRows(v.valid, maxUsers, seed, SAMPLE_STREAM);
  return valid === v.valid ? v : { train: v.train, valid };
}
