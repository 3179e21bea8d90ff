// The `gan` section: CFGAN training and generation (trainGan, generateGan).

import { z } from 'zod';
import {
  GAN_BUDGET_SECONDS,
  GAN_MAX_TRAIN_CELLS,
  GAN_MAX_TRAIN_USERS,
  sourceMaxUsers,
  sparseThreshold,
} from './limits.ts';

// Defaults follow the CFGAN authors' code (parameters.py, ML-100K) where validation agreed
// with it; docs/models.md says which settings differ and why.
export const ganSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Train a CFGAN and add its synthetic positives to training set B.'),
    variant: z
      .enum(['user', 'item'])
      .default('user')
      .describe(
        "`user`: the GAN learns each user's vector over the catalog; `item`: each item's vector over the users (the authors' setting for ML-100K, ML-1M and Ciao), which scores the whole user x item matrix at once (up to 2^27 cells).",
      ),
    generatorUnits: z
      .int()
      .min(1)
      .max(8192)
      .default(400)
      .describe('Generator hidden units (paper: 400).'),
    discriminatorUnits: z
      .int()
      .min(1)
      .max(8192)
      .default(125)
      .describe('Discriminator hidden units (paper: 125).'),
    noiseDim: z
      .int()
      .min(0)
      .max(1024)
      .default(0)
      .describe("Gaussian noise inputs of the generator; 0 = the paper's noise-free generator."),
    epochs: z
      .int()
      .min(1)
      .max(100_000)
      .default(10)
      .describe(
        'Maximum epochs; an epoch is dSteps discriminator passes then gSteps generator passes over all vectors.',
      ),
    dSteps: z
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe('Discriminator passes per epoch (reference: 2).'),
    gSteps: z
      .int()
      .min(1)
      .max(100)
      .default(4)
      .describe('Generator passes per epoch (reference: 4).'),
    batchSize: z
      .int()
      .min(1)
      .max(65_536)
      .default(32)
      .describe('Vectors per generator mini-batch (reference: 32).'),
    discriminatorBatchSize: z
      .int()
      .min(1)
      .max(65_536)
      .default(64)
      .describe('Vectors per discriminator mini-batch (reference: 64).'),
    learningRate: z
      .number()
      .gt(0)
      .max(1)
      .default(0.001)
      .describe('Adam learning rate of both networks (reference: 0.0001 over 750-1000 passes).'),
    regG: z
      .number()
      .min(0)
      .max(100)
      .default(0.001)
      .describe("L2 penalty on the generator's weights, regG x sum(w^2) / 2 (reference: 0.001)."),
    validateEvery: z
      .int()
      .min(0)
      .max(100_000)
      .default(1)
      .describe(
        "Score the generator's validation NDCG@10 every this many epochs and keep the best; 0 = keep the last epoch's generator.",
      ),
    patience: z
      .int()
      .min(1)
      .max(100_000)
      .default(3)
      .describe('Stop after this many validations in a row without a better NDCG@10.'),
    maxTrainUsers: z
      .int()
      .min(1)
      .max(100_000_000)
      .default(GAN_MAX_TRAIN_USERS)
      .describe(
        "With variant user: the GAN learns from at most this many users with train rows, a seeded sample when there are more (an epoch's cost grows with users x items); the generator still scores every user. The Python worker trains on every user.",
      ),
    maxTrainCells: z
      .int()
      .min(1)
      .max(1e12)
      .default(GAN_MAX_TRAIN_CELLS)
      .describe(
        'With variant user: also at most this many users x catalog items, so that one epoch (which `budgetSeconds` cannot cut short) stays bounded on a large catalog: 10K users at 10K items, 1K at 100K. The Python worker trains on every user.',
      ),
    budgetSeconds: z
      .number()
      .gt(0)
      .max(86_400)
      .default(GAN_BUDGET_SECONDS)
      .describe(
        "Once training has run this long, no epoch is started that would end past it (judged by the last epoch's duration, validation included) and the best generator so far is kept (trainGan's stats say `stoppedOnBudget`); at least one epoch is trained. The Python worker (training.worker python) applies it the same way. A budget that ends training makes the generator depend on the machine's speed: raise it for runs that must repeat exactly.",
      ),
    zrRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.7)
      .describe('Share of non-interacted items pushed towards 0 (zero-reconstruction).'),
    pmRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.7)
      .describe('Share of non-interacted items shown to the discriminator (partial masking).'),
    zrCoefficient: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .describe(
        'Weight of the zero-reconstruction term (reference: 0.03; 1 scored higher on validation).',
      ),
    reconstructionCoefficient: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .describe(
        "Weight of the squared error (1 - output)^2 on a vector's own entries in the generator loss, beside the discriminator's pull (0 = the paper's loss; on validation 1 scored above 0 on both benchmark data sets, and above 2 on the demo data).",
      ),
    inputDropout: z
      .number()
      .min(0)
      .max(0.95)
      .default(0.7)
      .describe(
        "Share of each vector's entries hidden from the generator's input in training, drawn anew per mini-batch, while the discriminator and the losses see them all: G learns to restore entries it was not shown (0 = the paper's input; 0.7 scored highest on validation). Scoring and generation use the whole vector.",
      ),
    checkpointEvery: z
      .int()
      .min(1)
      .max(100_000)
      .default(5)
      .describe('Checkpoint every this many epochs (the resume point after a crash).'),
    threads: z
      .int()
      .min(0)
      .max(1024)
      .default(0)
      .describe(
        "Threads that train the CFGAN: the catalog rows of G's output layer and D's input layer are split into one range per thread; 0 = one per core when the train split has at least 1M vectors x catalog entries (e.g. 1,000 users x 1,000 items), one below. A run repeats itself exactly for a given count; counts differ from each other (and from 1) by float rounding (the catalog's partial sums add in another order), so results differ slightly between counts (and, with 0, between machines with different core counts). 1 runs the one-thread loop (tfjs).",
      ),
    users: z
      .enum(['sparse', 'all'])
      .default('sparse')
      .describe('Users to augment: `sparse` (at most sparseThreshold train items) or `all`.'),
    sparseThreshold: sparseThreshold(),
    maxUsers: sourceMaxUsers(
      'At most this many users get synthetic positives: the sparsest of those selected (ties: lower id). Generation scores the whole catalog per user, so at a million users the cap bounds it.',
    ),
    topK: z
      .int()
      .min(1)
      .max(1000)
      .default(5)
      .describe("Synthetic positives per augmented user: the generator's top new items."),
    gate: z
      .boolean()
      .default(true)
      .describe(
        "Emit rows only when the generator beats the strongest tuned baseline (EASE, RP3beta or ItemKNN, recency-weighted where that scores higher; the teacher's search) on the validation items of the users it would augment; when it does not, generateGan emits none and says why.",
      ),
    recency: z
      .enum(['auto', 'none'])
      .default('auto')
      .describe(
        "User variant: `auto` conditions the trained generator on each user's history weighted towards their latest train rows when validation says so (2^(-r / h) for an item with r later rows, rescaled to the history's size; h from 16, 8, 4, 2, 1 or none, chosen by generateGan on validation before the gate); `none` conditions on the plain 0/1 history. Training is the same either way. Order comes from the timestamps, else the file order.",
      ),
    oneStepBack: z
      .boolean()
      .default(true)
      .describe(
        "With the leave-last-out split: also generate for the same users from their history without its latest train row (the same generator and condition), and let the policy score the GAN source's candidates with those rows, as the teacher's (teacher.oneStepBack). B itself takes the real rows.",
      ),
  })
  .prefault({})
  .describe('CFGAN augmentation (trainGan, generateGan).');
