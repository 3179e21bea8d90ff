// The `teacher` section: pseudo-positives from the strongest baseline on validation.

import { z } from 'zod';
import { sourceMaxUsers } from './limits.ts';

export const teacherSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Teacher-guided augmentation: the strongest baseline on validation proposes each chosen user's top unseen items as pseudo-positives for training set B.",
      ),
    usersFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe(
        'Share of users with train rows that get pseudo-positives, fewest train rows first (1 = all users; the policy then tries which share keeps them, `augmentation.users`).',
      ),
    maxUsers: sourceMaxUsers(
      'At most this many users get pseudo-positives: the sparsest ones, within usersFraction (ties: lower id). The teacher ranks the whole catalog per user, so at a million users the cap bounds it.',
    ),
    k: z
      .int()
      .min(1)
      .max(1000)
      .default(3)
      .describe("Most pseudo-positives per user: the teacher's top unseen items."),
    maxPerRealItem: z
      .number()
      .gt(0)
      .max(1000)
      .default(1)
      .describe(
        "Most pseudo-positives per real train item of the user (every chosen user may get at least 1): caps a short history's synthetic share.",
      ),
    excludeTopPopular: z
      .number()
      .min(0)
      .lt(1)
      .default(0.05)
      .describe(
        'Share of the catalog, most popular in train first, that is never proposed (so augmentation does not amplify popularity).',
      ),
    candidates: z
      .array(z.enum(['ease', 'rp3beta', 'itemknn']))
      .min(1)
      .max(3)
      .default(['ease', 'rp3beta', 'itemknn'])
      .describe(
        'Baselines that compete to be the teacher, each with its own setting chosen on validation (a recency half-life of its history included); the best validation NDCG@10 wins (on ties the earlier one). EASE is left out above 5,000 items.',
      ),
    oneStepBack: z
      .boolean()
      .default(true)
      .describe(
        "With the leave-last-out split: also propose from each user's history without its latest train row, and let the policy score the teacher's candidates with those rows. The real proposals aim at the validation step, and validation would credit them with hits that test, one step further, does not give; one step back, validation is as far from them as test is from the real ones. B itself takes the real proposals.",
      ),
    blend: z
      .boolean()
      .default(false)
      .describe(
        "Also try blends of the candidates as the teacher (each part's per-user scores standardised, the others added to the best one with weights chosen on validation); a blend teaches only when it beats the best candidate on validation. Off by default: a stronger teacher on validation did not give B more on sparse users on MovieLens-100K (docs/models.md).",
      ),
  })
  .prefault({})
  .describe(
    'Teacher-guided augmentation (teacher): pseudo-positives from the strongest baseline on validation, for the sparsest users.',
  );
