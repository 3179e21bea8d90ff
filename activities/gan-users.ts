/**
 * The users CFGAN learns from. An epoch passes over every training user's catalog-wide
 * vector (2 discriminator and 4 generator passes), so its cost grows with users x items; above
 * `gan.maxTrainUsers` users the GAN learns from a seeded sample of them, which bounds an
 * epoch's cost on large logs while leaving small ones untouched. The generator conditions on
 * a user's own train row, so it still scores every user, sampled or not. The validation
 * split is narrowed to the same users, so early stopping scores what was trained.
 */
import { keepRows, nonEmptyRows } from '../lib/eval/csr.ts';
import type { Csr } from '../lib/eval/types.ts';
import { Rng } from '../lib/training/random.ts';
import { shuffled } from '../lib/training/training-loop.ts';

export interface GanUsers {
  train: Csr;
  valid: Csr;
  /** Users with train rows the GAN learns from. */
  users: number;
  /** Users with train rows in the split, sampled or not. */
  of: number;
}

/**
 * The train and valid splits restricted to at most `max` users with train rows (all of them
 * when there are no more): a sample drawn with `seed`, the same on every attempt.
 */
export function ganTrainingUsers(train: Csr, valid: Csr, max: number, seed: number): GanUsers {
  const active = nonEmptyRows(train);
  if (active.length <= max) return { train, valid, users: active.length, of: active.length };
  // A stream of its own, so the sample does not move the training's random numbers.
  const chosen = shuffled(active, new Rng(seed ^ SAMPLE_STREAM))
    .subarray(0, max)
    .sort();
  return {
    train: keepRows(train, chosen),
    valid: keepRows(valid, chosen),
    users: max,
    of: active.length,
  };
}

const SAMPLE_STREAM = 0x5a17e5;
