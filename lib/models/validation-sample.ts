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
 * Users x items one validation pass ranks at most: `validationUsers` (10,000) binds up to
 * 25,000 items; above, fewer users (2,500 at 100K items, never fewer than 1,000), so that
 * validating an epoch does not cost more than training it on a large catalog.
 */
export const VALIDATION_CELLS = 250_000_000;
const MIN_VALIDATION_USERS = 1000;

/** The sample size early stopping uses: `maxUsers` (0 = all), capped by VALIDATION_CELLS. */
export function validationUsersFor(maxUsers: number, nItems: number): number {
  if (maxUsers <= 0) return 0;
  const byCells = Math.max(
    MIN_VALIDATION_USERS,
    Math.floor(VALIDATION_CELLS / Math.max(1, nItems)),
  );
  return Math.min(maxUsers, byCells);
}

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
  return valid === v.valid ? v : { ...v, valid };
}
