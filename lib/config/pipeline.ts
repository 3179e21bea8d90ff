import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, issuesFromZod } from './errors.ts';

/**
 * The pipeline config file (YAML or JSON). Users script against these names, so they are
 * a contract: add fields, never rename them. Objects are strict so a typo is an error,
 * not a silently ignored setting. Each stage section is added by the stage that reads it.
 */

const dataSchema = z
  .strictObject({
    source: z
      .string()
      .min(1)
      .default('synthetic:users=3000,items=1500,interactions=150000,seed=42')
      .describe(
        'Where the interaction log comes from: `synthetic:users=..,items=..,interactions=..,seed=..`, `movielens:DIR`, `csv:PATH?user=..&item=..`, `tsv:`, `parquet:`; locations are local paths, `file://` or `s3://` (a file, a folder or prefix, or a `*` pattern). `{date}` and `{yesterday}` resolve to the run date.',
      ),
    items: z
      .string()
      .min(1)
      .optional()
      .describe('Optional item-metadata file (title, genres, text), in the same source syntax.'),
    badRows: z
      .enum(['fail', 'skip'])
      .default('fail')
      .describe('What to do with malformed rows: fail the run, or skip and count them.'),
    maxBadRowFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe(
        'With badRows skip: the largest share of rows (per part file) that may be skipped.',
      ),
  })
  .prefault({})
  .describe('The interaction log read by ingest.');

const preprocessSchema = z
  .strictObject({
    positiveThreshold: z
      .number()
      .finite()
      .default(4)
      .describe(
        'Rating at or above which an interaction counts as positive (rows without a rating are positives).',
      ),
    kCore: z
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe('Minimum interactions per user and per item, applied iteratively.'),
    split: z
      .enum(['leave-last-out', 'random'])
      .default('leave-last-out')
      .describe(
        '`leave-last-out`: per user the latest row is test, the second latest valid; `random`: a seeded split by `ratios`.',
      ),
    ratios: z
      .strictObject({
        train: z.number().gt(0).lt(1).default(0.8).describe('Share of rows in train.'),
        valid: z.number().min(0).lt(1).default(0.1).describe('Share of rows in valid.'),
        test: z.number().gt(0).lt(1).default(0.1).describe('Share of rows in test.'),
      })
      .prefault({})
      .refine((r) => Math.abs(r.train + r.valid + r.test - 1) < 1e-9, 'train + valid + test = 1')
      .describe('Ratios of the random split.'),
  })
  .prefault({})
  .describe('Cleaning, k-core filtering and the train/valid/test split.');

const resampleSchema = z
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

/**
 * Default seconds budgets of the training stages (the GAN, the item-sequence model, the
 * policy search): on this project's 2-core reference machine they do not bind on
 * MovieLens-100K or the demo data, and they bound the default config at 10M rows
 * (docs/performance.md).
 */
const GAN_BUDGET_SECONDS = 300;
/** Users CFGAN learns from at most: all of them up to 1M-row logs (10K users). */
const GAN_MAX_TRAIN_USERS = 10_000;
/** Users x items CFGAN learns from at most: one epoch is about 150 s on two cores. */
const GAN_MAX_TRAIN_CELLS = 100_000_000;
const SEQUENCE_BUDGET_SECONDS = 300;
/** Windows per item-sequence epoch at most: every one up to 10M-row logs (5M predictions). */
const SEQUENCE_MAX_WINDOWS = 250_000;
/** Users each augmentation source augments at most: all sparse users up to 10M-row logs. */
const AUGMENT_MAX_USERS = 50_000;

/** An augmentation source's cap on the users it augments (the sparsest first). */
const sourceMaxUsers = (description: string) =>
  z.int().min(1).max(100_000_000).default(AUGMENT_MAX_USERS).describe(description);
const POLICY_BUDGET_SECONDS = 300;
/** Validation users the policy ranks at most: all of them up to 10M-row logs. */
const POLICY_VALIDATION_USERS = 50_000;
/** Test users ranked at most: all of them up to 10M-row logs (about 50K users). */
const EVALUATE_MAX_USERS = 50_000;

// Defaults follow the CFGAN authors' code (parameters.py, ML-100K) where validation agreed
// with it; docs/models.md says which settings differ and why.
const ganSchema = z
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
    sparseThreshold: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(20)
      .describe('With users sparse: users with at most this many train items.'),
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
  })
  .prefault({})
  .describe('CFGAN augmentation (trainGan, generateGan).');

const llmSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("Expand users' data with liked/disliked pairs and add them to training set B."),
    provider: z
      .enum(['sequence', 'openai', 'gguf'])
      .default('sequence')
      .describe(
        '`sequence`: a local item-sequence model chooses (no LLM; the run says so); `openai`: an OpenAI-compatible endpoint; `gguf`: a local GGUF model run by llama.cpp on the gpu-queue worker.',
      ),
    users: z
      .union([z.enum(['sparse', 'all']), z.int().min(1).max(100_000_000)])
      .default('sparse')
      .describe(
        'Users to expand: `sparse` (at most sparseThreshold train items), `all`, or a number of users drawn at random (seeded).',
      ),
    sparseThreshold: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(20)
      .describe('With users sparse: users with at most this many train items.'),
    maxUsers: sourceMaxUsers(
      'At most this many users are expanded: the sparsest of those selected (ties: lower id). Proposing candidates ranks the whole catalog per user, so at a million users the cap bounds it.',
    ),
    candidates: z
      .int()
      .min(2)
      .max(50)
      .default(10)
      .describe(
        "Candidates proposed per user by the base model (fitted on the train split, chosen on validation), never an item of the user's train split (validation items are not filtered, so B's validation figures estimate its test figures).",
      ),
    maxHistoryTokens: z
      .int()
      .min(16)
      .max(100_000)
      .default(600)
      .describe('Token budget of the history in a prompt (most recent items first).'),
    openai: z
      .strictObject({
        baseUrl: z
          .url()
          .optional()
          .describe(
            'Endpoint, e.g. `http://127.0.0.1:8000/v1` (vLLM) or `http://127.0.0.1:11434/v1` (Ollama).',
          ),
        model: z.string().min(1).max(200).optional().describe('Model name sent to the endpoint.'),
        apiKeyEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]{0,127}$/)
          .default('OPENAI_API_KEY')
          .describe('Name of the environment variable holding the API key (never the key itself).'),
        structuredOutput: z
          .enum(['auto', 'json_schema', 'json_object', 'none'])
          .default('auto')
          .describe(
            '`auto` asks for JSON-schema output and falls back to plain prompts if the server refuses.',
          ),
        concurrency: z.int().min(1).max(256).default(4).describe('Prompts in flight at once.'),
        timeoutSeconds: z
          .number()
          .gt(0)
          .max(3600)
          .default(60)
          .describe('Per-request timeout; timeouts are retried.'),
        maxRetries: z
          .int()
          .min(0)
          .max(20)
          .default(5)
          .describe('Retries of a request on 408/409/429/5xx, timeouts and connection errors.'),
        temperature: z.number().min(0).max(2).default(0).describe('Sampling temperature.'),
        maxTokens: z.int().min(8).max(4096).default(64).describe('Largest answer in tokens.'),
        promptPricePerMillion: z
          .number()
          .min(0)
          .default(0)
          .describe('Price per million prompt tokens, for the cost figure (0 = not reported).'),
        completionPricePerMillion: z
          .number()
          .min(0)
          .default(0)
          .describe('Price per million completion tokens, for the cost figure (0 = not reported).'),
      })
      .prefault({})
      .describe(
        'An OpenAI-compatible endpoint (provider openai): vLLM, Ollama, llama.cpp server, hosted APIs.',
      ),
    gguf: z
      .strictObject({
        modelPath: z
          .string()
          .min(1)
          .max(4096)
          .optional()
          .describe(
            'Path of the .gguf file on the gpu-queue worker (weights are never downloaded).',
          ),
        gpu: z
          .enum(['auto', 'cpu', 'cuda', 'vulkan'])
          .default('auto')
          .describe(
            'llama.cpp build: `auto` (CUDA, Vulkan or Metal when present, else CPU), `cpu`, `cuda`, `vulkan`.',
          ),
        contextSize: z
          .int()
          .min(256)
          .max(1_048_576)
          .default(4096)
          .describe(
            'Tokens per sequence: the prompt (system, history, candidates) plus the answer.',
          ),
        threads: z.int().min(0).max(1024).default(0).describe('CPU threads; 0 = one per core.'),
        concurrency: z
          .int()
          .min(1)
          .max(64)
          .default(1)
          .describe('Prompts answered at once (one context sequence each).'),
        timeoutSeconds: z
          .number()
          .gt(0)
          .max(3600)
          .default(120)
          .describe(
            'Per-prompt timeout; a timeout fails the stage attempt, which Temporal retries.',
          ),
        temperature: z.number().min(0).max(2).default(0).describe('Sampling temperature.'),
        maxTokens: z.int().min(8).max(4096).default(64).describe('Largest answer in tokens.'),
      })
      .prefault({})
      .describe('A local GGUF model (provider gguf), run by llama.cpp through node-llama-cpp.'),
    sequence: z
      .strictObject({
        dim: z.int().min(4).max(512).default(32).describe('Embedding and attention width.'),
        window: z
          .int()
          .min(2)
          .max(200)
          .default(20)
          .describe('Context length: items before the predicted one.'),
        hidden: z.int().min(4).max(2048).default(64).describe('Feed-forward hidden units.'),
        epochs: z.int().min(1).max(1000).default(8).describe('Training epochs.'),
        budgetSeconds: z
          .number()
          .gt(0)
          .max(86_400)
          .default(SEQUENCE_BUDGET_SECONDS)
          .describe(
            "Once training has run this long, no epoch is started that would end past it (judged by the last epoch's duration); at least one epoch is trained, and expandLlm's stats say `sequenceStoppedOnBudget`. A budget that ends training makes the model depend on the machine's speed.",
          ),
        maxWindows: z
          .int()
          .min(0)
          .max(1_000_000_000)
          .default(SEQUENCE_MAX_WINDOWS)
          .describe(
            'An epoch trains on at most this many windows of `window` predictions each: a seeded sample drawn anew every epoch when the histories hold more (0 = all). The first epoch always runs whole, so this is what bounds it on a large log.',
          ),
        batchSize: z.int().min(1).max(4096).default(64).describe('Sequences per batch.'),
        learningRate: z.number().gt(0).max(1).default(0.005).describe('Adam learning rate.'),
        negatives: z
          .int()
          .min(1)
          .max(100_000)
          .default(256)
          .describe('Shared sampled negatives of the sampled softmax, per batch.'),
        sideInformation: z
          .enum(['auto', 'off'])
          .default('auto')
          .describe(
            "`auto`: when the data has item metadata (genres, year, title words, tags), mix each candidate's content similarity to the user's history into the model's scores, with a weight chosen on the validation split (0 when it does not help); `off`: item IDs only.",
          ),
      })
      .prefault({})
      .describe(
        'The local item-sequence model (provider sequence): a small causal transformer over item IDs.',
      ),
  })
  .prefault({})
  .refine(
    (l) => l.provider !== 'openai' || (l.openai.baseUrl && l.openai.model),
    'provider openai needs openai.baseUrl and openai.model',
  )
  .refine((l) => l.provider !== 'gguf' || l.gguf.modelPath, {
    message: 'provider gguf needs gguf.modelPath (a .gguf file on the gpu-queue worker)',
    path: ['gguf', 'modelPath'],
  })
  .describe(
    'LLMRec-style expansion (expandLlm): a base model proposes candidates per user, a chooser names one liked and one disliked.',
  );

const teacherSchema = z
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
  })
  .prefault({})
  .describe(
    'Teacher-guided augmentation (teacher): pseudo-positives from the strongest baseline on validation, for the sparsest users.',
  );

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

const modelSchema = z
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

/**
 * The model settings of each `model.candidates` family for `family: auto`: each family with
 * its own defaults, sharing the budget fields of `model`.
 */
export function familyCandidates(model: PipelineConfig['model']): PipelineConfig['model'][] {
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

const augmentationSchema = z
  .strictObject({
    policy: z
      .enum(['auto', 'fixed'])
      .default('auto')
      .describe(
        "`auto`: B's sources and settings are chosen on the validation split (the policy stage trains one model per candidate and keeps the best on sparse users among those not below A overall, ranked on one half of the validation users and confirmed on the other); `fixed`: B takes every source's rows with the `resample` settings as written.",
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
        'Which validation users rank the candidates: `selection`, the half early stopping saw, so the other half confirms the pick unseen; `all`, every validation user (a less noisy ranking; the pick must then beat A on each half to count as confirmed).',
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

const evaluateSchema = z
  .strictObject({
    ks: z
      .array(z.int().min(1).max(1000))
      .min(1)
      .max(8)
      .default([10, 20])
      .describe('Cutoffs of the ranking metrics.'),
    coldThreshold: z
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe('Users with at most this many train items are the cold-user segment.'),
    tailFraction: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.8)
      .describe('Least popular share of the catalog that counts as the tail.'),
    sparseFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(0.25)
      .describe(
        'Share of test users with the fewest train items that form the sparse-user segment (the users augmentation is meant to help).',
      ),
    metric: z
      .string()
      .regex(/^(mrr|(ndcg|recall|hr|map)@[1-9][0-9]*)$/, 'ndcg@K, recall@K, hr@K, map@K or mrr')
      .default('ndcg@10')
      .describe('Primary metric of the decision: `ndcg@K`, `recall@K`, `hr@K`, `map@K` or `mrr`.'),
    minLift: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe("Promote B only when the CI lower bound of the metric's delta is above this."),
    maxDrop: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe(
        'Largest allowed drop on the cold-user, sparse-user and tail-item guard rails (relative to A).',
      ),
    alpha: z
      .number()
      .gt(0)
      .lt(0.5)
      .default(0.05)
      .describe('Significance level of the signed-rank test; intervals are at 1 - alpha.'),
    resamples: z
      .int()
      .min(1000)
      .max(100_000)
      .default(2000)
      .describe('Bootstrap resamples of the confidence intervals.'),
    baselines: z
      .boolean()
      .default(true)
      .describe(
        'Also evaluate the Popularity, ItemKNN, RP3beta and EASE baselines (EASE up to 5,000 items) for the report.',
      ),
    maxUsers: z
      .int()
      .min(0)
      .max(100_000_000)
      .default(EVALUATE_MAX_USERS)
      .describe(
        'Rank every item for at most this many test users: a seeded uniform sample when there are more (0 = all). A, B and the baselines are scored on the same users; the report says when a sample was used.',
      ),
  })
  .prefault({})
  .refine(
    (e) => e.metric === 'mrr' || e.ks.includes(Number(e.metric.split('@')[1])),
    "the metric's K must be one of ks",
  )
  .describe('The offline A/B test on the untouched test split, and the promotion rule.');

const registrySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("Register model versions in MLflow's model registry."),
    model: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)
      .optional()
      .describe('Registered model name; defaults to the pipeline name.'),
    alias: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/)
      .default('champion')
      .describe('Alias that marks the serving model; moves only when the decision promotes.'),
  })
  .prefault({})
  .describe('Where candidate models are versioned.');

const orchestrationSchema = z
  .strictObject({
    // Workers heartbeat every 5 s, so lower values notice a dead worker sooner.
    heartbeatTimeoutSeconds: z
      .int()
      .min(10)
      .max(3600)
      .default(60)
      .describe(
        'A stage whose worker sent no heartbeat for this long is retried elsewhere, from its last checkpoint.',
      ),
  })
  .prefault({})
  .describe('How the workflow drives its activities.');

const trainingSchema = z
  .strictObject({
    worker: z
      .enum(['typescript', 'python'])
      .default('typescript')
      .describe(
        'Which worker trains: `typescript` (the gpu queue: tfjs and WebAssembly kernels, CPU only) or `python` (trainGan and retrainA/retrainB on the `<prefix>-gpu-py` queue, served by the JAX worker in python/, on a GPU when it has one). The Python worker trains CFGAN, BPR-MF and NeuMF: with it, model.family must be bpr or neumf; it reads and writes file:// and s3:// artifact stores.',
      ),
    device: z
      .enum(['auto', 'cpu', 'cuda'])
      .default('auto')
      .describe(
        'With worker python: where the Python worker started by `augment run --worker` trains: `auto` (the first GPU, else the CPU), `cpu`, or `cuda` (fails without a CUDA device).',
      ),
  })
  .prefault({})
  .describe('Which worker runs the training stages, and on what device.');

/** Every section; the rules that span sections are added below. */
const pipelineSections = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64)')
    .default('recsys-augment')
    .describe('Name of the pipeline: MLflow experiment suffix and registered-model name.'),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(42)
    .describe('One seed for every random choice in the run.'),
  data: dataSchema,
  preprocess: preprocessSchema,
  gan: ganSchema,
  llm: llmSchema,
  teacher: teacherSchema,
  resample: resampleSchema,
  augmentation: augmentationSchema,
  model: modelSchema,
  evaluate: evaluateSchema,
  registry: registrySchema,
  orchestration: orchestrationSchema,
  training: trainingSchema,
});

/** The model families the Python training worker trains. */
const PYTHON_FAMILIES: readonly string[] = ['bpr', 'neumf'];

export const pipelineConfigSchema = pipelineSections.refine(
  (c) => c.training.worker !== 'python' || PYTHON_FAMILIES.includes(c.model.family),
  {
    // Checked here, not when retrainA reaches the Python worker after the data stages ran.
    message:
      'training.worker python trains model.family bpr or neumf (ials, ease and auto train on the typescript worker)',
    path: ['model', 'family'],
  },
);

/** The config as users write it (everything optional). */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
/** The config with every default filled in. */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;

/** Validates a parsed config object; `source` names the file in errors. */
export function parsePipelineConfig(raw: unknown, source = 'config'): PipelineConfig {
  const parsed = pipelineConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(source, issuesFromZod(parsed.error, raw));
  return parsed.data;
}

/** Reads a YAML or JSON config file (JSON is YAML) and validates it. */
export function loadPipelineConfig(path: string): PipelineConfig {
  return parsePipelineConfig(readConfigFile(path), path);
}

/**
 * Reads a YAML or JSON file as written, without validation or defaults (experiments
 * apply their overrides to this before validating). Errors name the file and position.
 */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [
      {
        field: '(file)',
        value: path,
        expected: `a readable file (${(err as NodeJS.ErrnoException).code})`,
      },
    ]);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    const e = err as Error & { linePos?: { line: number; col: number }[] };
    const pos = e.linePos?.[0];
    throw new ConfigError(path, [
      {
        field: pos ? `line ${pos.line}, column ${pos.col}` : '(file)',
        value: undefined,
        expected: `valid YAML or JSON (${e.message.split('\n')[0]})`,
      },
    ]);
  }
}

/** JSON Schema of the config file, for editors (`augment config schema`). */
export function pipelineConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(pipelineConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
