// The default budgets and caps that bound the default config at scale (the GAN, the
// item-sequence model, the augmentation sources, the policy search, the evaluation), kept
// together because they are sized together.

import { z } from 'zod';

/**
 * Default seconds budgets of the training stages (the GAN, the item-sequence model, the
 * policy search): on this project's 2-core reference machine they do not bind on
 * MovieLens-100K or the demo data, and they bound the default config at 10M rows
 * (docs/performance.md).
 */
export const GAN_BUDGET_SECONDS = 300;
/** Users CFGAN learns from at most: all of them up to 1M-row logs (10K users). */
export const GAN_MAX_TRAIN_USERS = 10_000;
/** Users x items CFGAN learns from at most: one epoch is about 150 s on two cores. */
export const GAN_MAX_TRAIN_CELLS = 100_000_000;
export const SEQUENCE_BUDGET_SECONDS = 300;
/** Windows per item-sequence epoch at most: every one up to 10M-row logs (5M predictions). */
export const SEQUENCE_MAX_WINDOWS = 250_000;
/** Users each augmentation source augments at most: all sparse users up to 10M-row logs. */
export const AUGMENT_MAX_USERS = 50_000;

/** An augmentation source's cap on the users it augments (the sparsest first). */
export const sourceMaxUsers = (description: string) =>
  z.int().min(1).max(100_000_000).default(AUGMENT_MAX_USERS).describe(description);

/** A source's `users: sparse` threshold (the GAN's and the LLM branch's, the same field). */
export const sparseThreshold = () =>
  z
    .int()
    .min(1)
    .max(1_000_000)
    .default(20)
    .describe('With users sparse: users with at most this many train items.');
export const POLICY_BUDGET_SECONDS = 300;
/** Validation users the policy ranks at most: all of them up to 10M-row logs. */
export const POLICY_VALIDATION_USERS = 50_000;
/** Test users ranked at most: all of them up to 10M-row logs (about 50K users). */
export const EVALUATE_MAX_USERS = 50_000;
