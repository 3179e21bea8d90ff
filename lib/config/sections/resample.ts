// The `resample` section: how real and synthetic rows are merged into training sets A and B.

import { z } from 'zod';

export const resampleSchema = z
  .strictObject({
    minScore: z
      .number()
      .finite()
      .default(0)
      .describe('Drop synthetic positives whose generator score is below this.'),
    dropRate: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe(
        "LLMRec-style pruning: share of each source's synthetic positives dropped, least plausible first.",
      ),
    maxSyntheticPerUser: z
      .int()
      .min(0)
      .max(100_000)
      .default(20)
      .describe(
        "At most this many synthetic positives per user (each source's best-scored first).",
      ),
    syntheticUsersFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe(
        'Only this share of users, those with the fewest real train rows (as the sparse-user segment picks them), keep synthetic rows; 1 = every user a source proposed for. The policy tries `augmentation.users`.',
      ),
    syntheticShare: z
      .number()
      .min(0)
      .max(0.9)
      .default(0.2)
      .describe("Cap on the share of synthetic positives among B's positives."),
    tailBoost: z
      .number()
      .gt(0)
      .max(1000)
      .default(1)
      .describe(
        'Weight of long-tail synthetic rows relative to head rows among rows of equal rank within their source (> 1 favours the tail).',
      ),
    protectColdUsers: z
      .int()
      .min(0)
      .max(100_000)
      .default(5)
      .describe('Users with at most this many real train items get their synthetic rows first.'),
    syntheticWeight: z
      .number()
      .gt(0)
      .max(100)
      .default(0.5)
      .describe('Loss weight of synthetic rows (real rows weigh 1).'),
    negatives: z
      .strictObject({
        strategy: z
          .enum(['uniform', 'popularity', 'hard'])
          .default('uniform')
          .describe(
            "How written negatives are drawn; `hard` takes them from each user's top item-kNN items.",
          ),
        perPositive: z
          .int()
          .min(0)
          .max(100)
          .default(0)
          .describe(
            'Negatives per positive written into A and B (0: the trainer samples its own).',
          ),
        hardPool: z
          .int()
          .min(1)
          .max(10_000)
          .default(50)
          .describe(
            "With strategy hard: negatives come from each user's top this-many item-kNN items.",
          ),
      })
      .prefault({})
      .describe('Negatives written into the training sets.'),
  })
  .prefault({})
  .describe('Merging real and synthetic rows into training sets A (real only) and B (augmented).');
