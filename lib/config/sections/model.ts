// The `model` section: the recommender trained as A and B, its family- and optimizer-dependent
// defaults (iALS's included), and the per-family settings `family: auto` tries.

import { z } from 'zod';

/**
 * The defaults that depend on the family and optimizer: BPR-MF trains with sgd (the
 * reference algorithm, and the faster one) unless its batch math is tensor ops; sgd wants a
 * larger step and more patience than Adam. iALS has no optimizer; its l2 is each solve's
 * lambda, on a scale of whole confidence-weighted rows rather than of one gradient step.
 */
function withOptimizerDefaults<
  M extends {
    family: 'bpr' | 'neumf' | 'ials' | 'ease' | 'auto';
    kernel: string;
    optimizer?: 'adam' | 'sgd';
    learningRate?: number;
    patience?: number;
    l2?: number;
  },
>(m: M) {
  if (m.family === 'ials' || m.family === 'ease' || m.family === 'auto')
    return {
      ...m,
      optimizer: undefined,
      learningRate: m.learningRate ?? 0.005,
      patience: m.patience ?? 5,
      l2: m.l2 ?? IALS_DEFAULT_LAMBDA,
    };
  const optimizer = m.optimizer ?? (m.family === 'bpr' && m.kernel !== 'tfjs' ? 'sgd' : 'adam');
  return {
    ...m,
    optimizer,
    learningRate: m.learningRate ?? (optimizer === 'sgd' ? 0.05 : 0.005),
    patience: m.patience ?? (optimizer === 'sgd' ? 10 : 3),
    l2: m.l2 ?? 1e-4,
  };
}

/** iALS defaults (tuned on MovieLens-100K's validation split: bench/movielens/tune.ts). */
const IALS_DEFAULT_ALPHA = 10;
const IALS_DEFAULT_LAMBDA = 10;

export const modelSchema = z
  .strictObject({
    family: z
      .enum(['bpr', 'neumf', 'ials', 'ease', 'auto'])
      .default('bpr')
      .describe(
        '`bpr` (BPR-MF, pairwise), `neumf` (NeuMF: GMF + MLP, pointwise log loss), `ials` (implicit ALS solved by conjugate gradient; batchSize, learningRate, negatives, kernel and optimizer do not apply), `ease` (EASE, a closed-form item x item model with its lambda chosen on validation; catalogs up to 5,000 items; only the training rows and their weights apply) or `auto` (each of `candidates` is trained on the real train split with its own defaults, early-stopped on one half of the validation users and ranked by NDCG@10 on the other half; the winner, chosen once per run, is used for both A and B).',
      ),
    candidates: z
      .array(z.enum(['bpr', 'neumf', 'ials', 'ease']))
      .min(1)
      .max(4)
      .default(['bpr', 'ials', 'ease'])
      .describe(
        'With family `auto`: the families tried. Each takes its own defaults; factors, epochs, evalEvery, validationUsers, checkpointEvery, threads and recency are shared. EASE is left out above 5,000 items.',
      ),
    factors: z.int().min(1).max(1024).default(64).describe('Embedding size.'),
    epochs: z
      .int()
      .min(1)
      .max(10_000)
      .default(40)
      .describe('Upper bound on epochs; early stopping on validation NDCG@10 usually ends sooner.'),
    batchSize: z.int().min(1).max(1_000_000).default(2048).describe('Samples per batch.'),
    learningRate: z
      .number()
      .gt(0)
      .max(10)
      .optional()
      .describe('Step size. Default: 0.05 with optimizer sgd, else 0.005.'),
    l2: z
      .number()
      .min(0)
      .max(1000)
      .optional()
      .describe(
        "L2 regularisation of the embeddings a batch touches; for ials, the lambda added to every row's solve. Default: 1e-4; 10 for ials.",
      ),
    alpha: z
      .number()
      .gt(0)
      .max(10_000)
      .default(IALS_DEFAULT_ALPHA)
      .describe("iALS: an observed row's confidence is 1 + alpha x its weight."),
    cgSteps: z
      .int()
      .min(1)
      .max(64)
      .default(3)
      .describe('iALS: conjugate-gradient steps per row and half-epoch (warm-started).'),
    recency: z
      .enum(['auto', 'none'])
      .default('auto')
      .describe(
        "EASE: `auto` weights each user's history towards their latest train rows when validation says so (2^(-r / h) for an item with r later rows; h from 16, 8, 4, 2, 1 or none, chosen on validation together with lambda); `none` scores the plain history. Order comes from the timestamps, else the file order.",
      ),
    negatives: z
      .int()
      .min(1)
      .max(100)
      .default(1)
      .describe('Sampled negatives per positive and epoch.'),
    kernel: z
      .enum(['auto', 'simd', 'typed', 'tfjs'])
      .default('auto')
      .describe(
        "The batch math: `simd` (WebAssembly SIMD; factors, and NeuMF's mlpLayers, divisible by 4), `typed` (plain JS loops; BPR-MF only), `tfjs` (tensor ops) or `auto` (simd, else typed for BPR-MF and tfjs for NeuMF, on the wasm/cpu backends; tfjs on native ones).",
      ),
    optimizer: z
      .enum(['adam', 'sgd'])
      .optional()
      .describe(
        "BPR-MF's optimizer: `sgd` (a plain SGD step per sample, as the `implicit` library does) or `adam` (a lazy Adam step per batch over the rows it touched: about 3x slower per epoch). NeuMF always trains with Adam; iALS has none. Default: sgd for BPR-MF (adam with kernel tfjs), adam for NeuMF.",
      ),
    mlpLayers: z
      .array(z.int().min(1).max(4096))
      .min(1)
      .max(8)
      .default([64, 32])
      .describe("NeuMF: the MLP's hidden layer sizes."),
    // sgd's validation NDCG sits near popularity's for its first epochs, so it gets more.
    patience: z
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Evaluations without a better validation NDCG@10 before stopping. Default: 10 with optimizer sgd, 5 for ials, ease and auto, else 3.',
      ),
    evalEvery: z
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe('Evaluate on validation every this many epochs.'),
    // Ranking every item for 50K users takes longer than an epoch.
    validationUsers: z
      .int()
      .min(0)
      .max(100_000_000)
      .default(10_000)
      .describe(
        'Early stopping validates on a seeded sample of at most this many users (the same users every epoch; 0 = all), and at most 250M users x items per pass above 25,000 items (2,500 users at 100K items, never fewer than 1,000).',
      ),
    checkpointEvery: z
      .int()
      .min(1)
      .max(1000)
      .default(2)
      .describe(
        'Checkpoint to the artifact store every this many epochs (the resume point after a crash).',
      ),
    threads: z
      .int()
      .min(0)
      .max(1024)
      .default(0)
      .describe(
        "Threads that train BPR-MF (optimizer sgd, kernel simd) and iALS (factors divisible by 4); 0 = one per core for epochs of at least 100K samples or rows, one below. iALS gives the same factors for any count; BPR-MF splits users and items into one block per thread (a negative is drawn from its positive's block) and gives the same factors for the same count, so results differ between counts (and, with 0, between machines with different core counts). 1 runs the single-thread loop. NeuMF, Adam and the typed kernel use one thread.",
      ),
  })
  .prefault({})
  .refine((m) => m.family !== 'ials' || m.optimizer === undefined, {
    message: 'family ials has no optimizer (it solves for the factors in turn)',
    path: ['optimizer'],
  })
  .refine((m) => m.family !== 'ease' || m.optimizer === undefined, {
    message: 'family ease has no optimizer (it is solved in closed form)',
    path: ['optimizer'],
  })
  .refine((m) => m.family !== 'auto' || m.optimizer === undefined, {
    message: 'family auto trains each candidate with its own optimizer: leave optimizer unset',
    path: ['optimizer'],
  })
  .transform(withOptimizerDefaults)
  .refine((m) => m.family !== 'ials' || m.kernel === 'auto', {
    message: 'family ials solves in typed arrays: leave kernel at auto',
    path: ['kernel'],
  })
  .refine((m) => m.family !== 'ease' || m.kernel === 'auto', {
    message: 'family ease solves in typed arrays: leave kernel at auto',
    path: ['kernel'],
  })
  .refine((m) => m.family !== 'auto' || m.kernel === 'auto', {
    message: 'family auto picks each candidate its own kernel: leave kernel at auto',
    path: ['kernel'],
  })
  .refine((m) => m.optimizer !== 'sgd' || m.family === 'bpr', {
    message: 'optimizer sgd is for family bpr (NeuMF trains with Adam)',
    path: ['optimizer'],
  })
  .refine((m) => m.kernel !== 'typed' || m.family === 'bpr', {
    message: 'kernel typed is for family bpr (NeuMF: simd, tfjs or auto)',
    path: ['kernel'],
  })
  .refine((m) => m.optimizer !== 'sgd' || m.kernel !== 'tfjs', {
    message: 'optimizer sgd runs on kernel simd, typed or auto, not tfjs',
    path: ['optimizer'],
  })
  .describe(
    'The recommender trained twice: A on real data, B on augmented data, same seed and budget.',
  );

/** The `model` section with every default filled in (`PipelineConfig['model']`). */
export type ModelConfig = z.output<typeof modelSchema>;

/**
 * The model settings of each `model.candidates` family for `family: auto`: each family with
 * its own defaults, sharing the budget fields of `model`.
 */
export function familyCandidates(model: ModelConfig): ModelConfig[] {
  return model.candidates.map((family) =>
    modelSchema.parse({
      family,
      factors: model.factors,
      epochs: model.epochs,
      evalEvery: model.evalEvery,
      validationUsers: model.validationUsers,
      checkpointEvery: model.checkpointEvery,
      threads: model.threads,
      recency: model.recency,
    }),
  );
}
