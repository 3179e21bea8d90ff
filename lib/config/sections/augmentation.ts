// The `augmentation` section: the policy that composes training set B from the sources.

import { z } from 'zod';
import { POLICY_BUDGET_SECONDS, POLICY_VALIDATION_USERS } from './limits.ts';

export const augmentationSchema = z
  .strictObject({
    policy: z
      .enum(['auto', 'fixed'])
      .default('auto')
      .describe(
        "`auto`: B's sources and settings are chosen on the validation split (the policy stage trains one model per candidate and keeps the best on sparse users among those not below A overall, preferring one that beats A on each half of the validation users; see `rankOn`); `fixed`: B takes every source's rows with the `resample` settings as written.",
      ),
    perUser: z
      .array(z.int().min(1).max(1000))
      .min(1)
      .max(4)
      .default([2, 5])
      .describe('Policy grid: synthetic positives per user tried (resample.maxSyntheticPerUser).'),
    weights: z
      .array(z.number().gt(0).max(100))
      .min(1)
      .max(4)
      .default([0.25, 0.5])
      .describe(
        'Policy grid: loss weights of synthetic rows tried (resample.syntheticWeight); for ials a weight w gives a confidence of 1 + alpha x w, real rows having w = 1.',
      ),
    users: z
      .array(z.number().gt(0).max(1))
      .min(1)
      .max(4)
      .default([0.25, 1])
      .describe(
        'Policy grid: shares of users, fewest real train rows first, that keep synthetic rows (resample.syntheticUsersFraction): the sparse users alone, or every user a source proposed for.',
      ),
    combined: z
      .boolean()
      .default(true)
      .describe('Policy grid: besides each source alone, try all sources together.'),
    teacherHead: z
      .boolean()
      .default(true)
      .describe(
        "Policy grid: also try the teacher's proposals with the most popular items allowed (`teacher+head`, as with teacher.excludeTopPopular 0) as a source of its own, when teacher.excludeTopPopular is above 0; whether the head helps depends on the data and the model.",
      ),
    validationUsers: z
      .int()
      .min(0)
      .max(100_000_000)
      .default(POLICY_VALIDATION_USERS)
      .describe(
        'The policy ranks at most this many validation users for each candidate (a seeded sample, split into its two halves; 0 = all): at a million users, ranking every one of them would cost more than training the candidate.',
      ),
    rankOn: z
      .enum(['selection', 'all'])
      .default('all')
      .describe(
        'Which validation users rank the candidates: `selection`, the half early stopping saw, so the other half confirms the pick unseen; `all`, every validation user (a less noisy ranking; the pick is the best of the candidates that beat A on each half when any does, and only those count as confirmed).',
      ),
    screen: z
      .boolean()
      .default(true)
      .describe(
        "EASE candidates are fitted at the lambda A chose (as a multiple of the mean train rows per item), one inversion each instead of four; their history's half-life is still chosen per candidate, and retrainB fits the chosen set with the whole grid. `false`: each candidate searches every lambda (about three times the policy's time).",
      ),
    maxCandidates: z
      .int()
      .min(1)
      .max(64)
      .default(32)
      .describe('Policy grid: at most this many candidates (in grid order).'),
    budgetSeconds: z
      .number()
      .gt(0)
      .max(86_400)
      .default(POLICY_BUDGET_SECONDS)
      .describe(
        'Once the policy search has run this long, the remaining candidates are skipped (at least one is always trained).',
      ),
  })
  .prefault({})
  .describe('How training set B is composed from the augmentation sources.');
