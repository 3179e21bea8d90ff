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
    /**
     * Where the interaction log comes from: `synthetic:users=..,items=..,interactions=..,seed=..`,
     * `movielens:/dir`, `csv:/path?user=..&item=..`, `tsv:`, `parquet:`, a path, `file://` or `s3://`.
     */
    source: z
      .string()
      .min(1)
      .default('synthetic:users=3000,items=1500,interactions=150000,seed=42'),
    /** Optional item-metadata file (title, genres, text). */
    items: z.string().min(1).optional(),
    /** What to do with malformed rows. @default fail */
    badRows: z.enum(['fail', 'skip']).default('fail'),
    /** With badRows=skip: the largest share of rows that may be skipped. @default 0.01 */
    maxBadRowFraction: z.number().min(0).max(1).default(0.01),
  })
  .prefault({});

const preprocessSchema = z
  .strictObject({
    /** Rating at or above which an interaction counts as positive. @default 4 */
    positiveThreshold: z.number().finite().default(4),
    /** Minimum interactions per user and per item, applied iteratively. @default 5 */
    kCore: z.int().min(0).max(1000).default(5),
    /** `leave-last-out` per user by time (default) or seeded `random`. */
    split: z.enum(['leave-last-out', 'random']).default('leave-last-out'),
    /** Ratios for the random split (train, valid, test). */
    ratios: z
      .strictObject({
        train: z.number().gt(0).lt(1).default(0.8),
        valid: z.number().min(0).lt(1).default(0.1),
        test: z.number().gt(0).lt(1).default(0.1),
      })
      .prefault({})
      .refine((r) => Math.abs(r.train + r.valid + r.test - 1) < 1e-9, 'train + valid + test = 1'),
  })
  .prefault({});

/** Merging real and synthetic rows into training sets A (real only) and B (augmented). */
const resampleSchema = z
  .strictObject({
    /** Drop synthetic positives whose generator score is below this. */
    minScore: z.number().finite().default(0),
    /** LLMRec pruning: share of each source's synthetic positives dropped, least plausible first. */
    dropRate: z.number().min(0).max(1).default(0),
    /** At most this many synthetic positives per user. */
    maxSyntheticPerUser: z.int().min(0).max(100_000).default(20),
    /** Cap on the share of synthetic positives among B's positives. */
    syntheticShare: z.number().min(0).max(0.9).default(0.2),
    /** Sampling weight of long-tail synthetic rows relative to head rows (> 1 favours the tail). */
    tailBoost: z.number().gt(0).max(1000).default(1),
    /** Users with at most this many real train items get their synthetic rows first. */
    protectColdUsers: z.int().min(0).max(100_000).default(5),
    /** Loss weight of synthetic rows (real rows weigh 1). */
    syntheticWeight: z.number().gt(0).max(100).default(0.5),
    negatives: z
      .strictObject({
        /** How written negatives are drawn: `uniform`, `popularity` or `hard`. */
        strategy: z.enum(['uniform', 'popularity', 'hard']).default('uniform'),
        /** Negatives per positive written into A and B (0 = the trainer samples on the fly). */
        perPositive: z.int().min(0).max(100).default(0),
        /** strategy hard: negatives come from each user's top this-many item-kNN items. */
        hardPool: z.int().min(1).max(10_000).default(50),
      })
      .prefault({}),
  })
  .prefault({});

/**
 * CFGAN augmentation (trainGan / generateGan). Defaults follow the paper's ML-100K setup
 * except the learning rate and epochs, which are sized for a nightly run (see README).
 */
const ganSchema = z
  .strictObject({
    /** Train a CFGAN and add its synthetic positives to training set B. @default true */
    enabled: z.boolean().default(true),
    /** Generator hidden units (paper: 400). */
    generatorUnits: z.int().min(1).max(8192).default(400),
    /** Discriminator hidden units (paper: 125). */
    discriminatorUnits: z.int().min(1).max(8192).default(125),
    /** Gaussian noise inputs of the generator; 0 = the paper's noise-free generator. */
    noiseDim: z.int().min(0).max(1024).default(0),
    epochs: z.int().min(1).max(100_000).default(60),
    /** Users per mini-batch. */
    batchSize: z.int().min(1).max(65_536).default(64),
    learningRate: z.number().gt(0).max(1).default(0.001),
    /** Share of non-interacted items pushed towards 0 (zero-reconstruction). */
    zrRatio: z.number().min(0).max(1).default(0.7),
    /** Share of non-interacted items shown to the discriminator (partial masking). */
    pmRatio: z.number().min(0).max(1).default(0.7),
    /** Weight of the zero-reconstruction term. */
    zrCoefficient: z.number().min(0).max(100).default(0.03),
    /** Checkpoint every this many epochs (resume point after a crash). */
    checkpointEvery: z.int().min(1).max(100_000).default(5),
    /** Users to augment: `sparse` (few train items) or `all`. */
    users: z.enum(['sparse', 'all']).default('sparse'),
    /** With users=sparse: users with at most this many train items. */
    sparseThreshold: z.int().min(1).max(1_000_000).default(20),
    /** Synthetic positives per augmented user: the generator's top new items. */
    topK: z.int().min(1).max(1000).default(5),
  })
  .prefault({});

/**
 * LLMRec-style expansion (expandLlm): a base model proposes candidates per user, a chooser
 * names one liked and one disliked. With `provider: sequence` (the default) no LLM is used:
 * a small item-sequence transformer trained on the train split chooses, and the run summary
 * says so.
 */
const llmSchema = z
  .strictObject({
    /** Expand users' data with liked/disliked triples and add them to training set B. @default true */
    enabled: z.boolean().default(true),
    /**
     * `sequence`: the local item-sequence model (no LLM); `openai`: an OpenAI-compatible
     * endpoint; `gguf`: a local GGUF model run by llama.cpp on the gpu-queue worker.
     */
    provider: z.enum(['sequence', 'openai', 'gguf']).default('sequence'),
    /** Users to expand: `sparse` (few train items), `all`, or a number of users drawn at random (seeded). */
    users: z.union([z.enum(['sparse', 'all']), z.int().min(1).max(100_000_000)]).default('sparse'),
    /** With users=sparse: users with at most this many train items. */
    sparseThreshold: z.int().min(1).max(1_000_000).default(20),
    /** Candidates proposed per user by the base model (item kNN on the train split). */
    candidates: z.int().min(2).max(50).default(10),
    /** Token budget of the history in a prompt (most recent items first). */
    maxHistoryTokens: z.int().min(16).max(100_000).default(600),
    openai: z
      .strictObject({
        /** Endpoint, e.g. http://127.0.0.1:8000/v1 (vLLM), http://127.0.0.1:11434/v1 (Ollama). */
        baseUrl: z.url().optional(),
        model: z.string().min(1).max(200).optional(),
        /** Environment variable holding the API key (never put the key in the config). */
        apiKeyEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]{0,127}$/)
          .default('OPENAI_API_KEY'),
        /** `auto` asks for JSON-schema output and falls back to plain prompts if refused. */
        structuredOutput: z.enum(['auto', 'json_schema', 'json_object', 'none']).default('auto'),
        /** Prompts in flight at once. */
        concurrency: z.int().min(1).max(256).default(4),
        /** Per-request timeout; timeouts are retried. */
        timeoutSeconds: z.number().gt(0).max(3600).default(60),
        /** Retries of a request on 408/409/429/5xx, timeouts and connection errors. */
        maxRetries: z.int().min(0).max(20).default(5),
        temperature: z.number().min(0).max(2).default(0),
        maxTokens: z.int().min(8).max(4096).default(64),
        /** Prices per million tokens, for the cost figure (0 = not reported). */
        promptPricePerMillion: z.number().min(0).default(0),
        completionPricePerMillion: z.number().min(0).default(0),
      })
      .prefault({}),
    /** A local GGUF model (provider: gguf), run by llama.cpp through node-llama-cpp. */
    gguf: z
      .strictObject({
        /** Path of the .gguf file on the gpu-queue worker (weights are never downloaded). */
        modelPath: z.string().min(1).max(4096).optional(),
        /** llama.cpp build: `auto` (CUDA, Vulkan or Metal when present, else CPU), `cpu`, `cuda`, `vulkan`. */
        gpu: z.enum(['auto', 'cpu', 'cuda', 'vulkan']).default('auto'),
        /** Tokens per sequence: the prompt (system, history, candidates) plus the answer. */
        contextSize: z.int().min(256).max(1_048_576).default(4096),
        /** CPU threads; 0 = one per core. */
        threads: z.int().min(0).max(1024).default(0),
        /** Prompts answered at once (context sequences). */
        concurrency: z.int().min(1).max(64).default(1),
        /** Per-prompt timeout; a timeout fails the stage attempt, which Temporal retries. */
        timeoutSeconds: z.number().gt(0).max(3600).default(120),
        temperature: z.number().min(0).max(2).default(0),
        maxTokens: z.int().min(8).max(4096).default(64),
      })
      .prefault({}),
    /** The local item-sequence model (provider: sequence). */
    sequence: z
      .strictObject({
        dim: z.int().min(4).max(512).default(32),
        /** Context length: items before the predicted one. */
        window: z.int().min(2).max(200).default(20),
        hidden: z.int().min(4).max(2048).default(64),
        epochs: z.int().min(1).max(1000).default(8),
        batchSize: z.int().min(1).max(4096).default(64),
        learningRate: z.number().gt(0).max(1).default(0.005),
        /** Shared sampled negatives of the sampled softmax, per batch. */
        negatives: z.int().min(1).max(100_000).default(256),
      })
      .prefault({}),
  })
  .prefault({})
  .refine(
    (l) => l.provider !== 'openai' || (l.openai.baseUrl && l.openai.model),
    'provider openai needs openai.baseUrl and openai.model',
  )
  .refine((l) => l.provider !== 'gguf' || l.gguf.modelPath, {
    message: 'provider gguf needs gguf.modelPath (a .gguf file on the gpu-queue worker)',
    path: ['gguf', 'modelPath'],
  });

/**
 * The defaults that depend on the family and optimizer: BPR-MF trains with sgd (the
 * reference algorithm, and the faster one) unless its batch math is tensor ops; sgd wants a
 * larger step and more patience than Adam. iALS has no optimizer; its l2 is each solve's
 * lambda, on a scale of whole confidence-weighted rows rather than of one gradient step.
 */
function withOptimizerDefaults<
  M extends {
    family: 'bpr' | 'neumf' | 'ials';
    kernel: string;
    optimizer?: 'adam' | 'sgd';
    learningRate?: number;
    patience?: number;
    l2?: number;
  },
>(m: M) {
  if (m.family === 'ials')
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

/** The recommender trained twice (A on real data, B on augmented data). */
const modelSchema = z
  .strictObject({
    /**
     * `bpr` (BPR-MF, pairwise), `neumf` (NeuMF: GMF + MLP, pointwise log loss) or `ials`
     * (implicit ALS: weighted squared loss over all user x item pairs, solved by conjugate
     * gradient; batchSize, learningRate, negatives, kernel and optimizer do not apply).
     */
    family: z.enum(['bpr', 'neumf', 'ials']).default('bpr'),
    /** Embedding size. @default 64 */
    factors: z.int().min(1).max(1024).default(64),
    /** Upper bound on epochs; early stopping on validation NDCG@10 usually ends sooner. */
    epochs: z.int().min(1).max(10_000).default(40),
    batchSize: z.int().min(1).max(1_000_000).default(2048),
    /** @default 0.05 with optimizer sgd, else 0.005 (Adam) */
    learningRate: z.number().gt(0).max(10).optional(),
    /**
     * L2 regularisation of the embeddings a batch touches; for ials, the lambda added to
     * every row's solve. @default 1e-4; 10 for ials
     */
    l2: z.number().min(0).max(1000).optional(),
    /** iALS: an observed row's confidence is 1 + alpha x its weight. */
    alpha: z.number().gt(0).max(10_000).default(IALS_DEFAULT_ALPHA),
    /** iALS: conjugate-gradient steps per row and half-epoch (warm-started). */
    cgSteps: z.int().min(1).max(64).default(3),
    /** Sampled negatives per positive and epoch. */
    negatives: z.int().min(1).max(100).default(1),
    /**
     * The batch math: `simd` (WebAssembly SIMD; factors, and NeuMF's mlpLayers, divisible by
     * 4), `typed` (plain JS loops; BPR-MF only), `tfjs` (tensor ops) or `auto` (simd, else
     * typed for BPR-MF and tfjs for NeuMF, on the wasm/cpu backends; tfjs on native ones).
     */
    kernel: z.enum(['auto', 'simd', 'typed', 'tfjs']).default('auto'),
    /**
     * BPR-MF's optimizer: `sgd` (a plain SGD step per sample, as the `implicit` library does;
     * no optimizer state) or `adam` (a lazy Adam step per batch over the rows it touched:
     * about 3x slower per epoch). NeuMF always trains with Adam. sgd runs on the simd or
     * typed kernel; iALS has none. @default sgd for BPR-MF (adam with kernel tfjs), adam
     * for NeuMF
     */
    optimizer: z.enum(['adam', 'sgd']).optional(),
    /** NeuMF: MLP hidden layer sizes. */
    mlpLayers: z.array(z.int().min(1).max(4096)).min(1).max(8).default([64, 32]),
    /**
     * Evaluations without a better validation NDCG@10 before stopping. sgd's validation
     * NDCG sits near popularity's for its first epochs, so it gets more.
     * @default 10 with optimizer sgd, 5 for ials, else 3
     */
    patience: z.int().min(1).max(1000).optional(),
    /** Evaluate on validation every this many epochs. */
    evalEvery: z.int().min(1).max(1000).default(1),
    /**
     * Early stopping validates on a seeded sample of at most this many users (the same users
     * every epoch; 0 = all). Ranking every item for 50K users takes longer than an epoch.
     */
    validationUsers: z.int().min(0).max(100_000_000).default(10_000),
    /** Checkpoint to the artifact store every this many epochs (resume point after a crash). */
    checkpointEvery: z.int().min(1).max(1000).default(2),
  })
  .prefault({})
  .refine((m) => m.family !== 'ials' || m.optimizer === undefined, {
    message: 'family ials has no optimizer (it solves for the factors in turn)',
    path: ['optimizer'],
  })
  .transform(withOptimizerDefaults)
  .refine((m) => m.family !== 'ials' || m.kernel === 'auto', {
    message: 'family ials solves in typed arrays: leave kernel at auto',
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
  });

/** The offline A/B test on the untouched test split, and the promotion rule. */
const evaluateSchema = z
  .strictObject({
    /** Cutoffs of the ranking metrics. */
    ks: z.array(z.int().min(1).max(1000)).min(1).max(8).default([10, 20]),
    /** Users with at most this many train items are the cold-user segment. */
    coldThreshold: z.int().min(0).max(1000).default(5),
    /** Least popular share of the catalog that counts as the tail. */
    tailFraction: z.number().gt(0).lt(1).default(0.8),
    /** Primary metric of the decision (`ndcg@K`, `recall@K`, `hr@K`, `map@K`, `mrr`). */
    metric: z
      .string()
      .regex(/^(mrr|(ndcg|recall|hr|map)@[1-9][0-9]*)$/, 'ndcg@K, recall@K, hr@K, map@K or mrr')
      .default('ndcg@10'),
    /** Promote B only when the CI lower bound of the metric's delta is above this. */
    minLift: z.number().min(0).max(1).default(0),
    /** Largest allowed drop on the cold-user and tail-item guard rails (relative to A). */
    maxDrop: z.number().min(0).max(1).default(0.05),
    /** Significance level of the signed-rank test; intervals are at 1 - alpha. */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** Bootstrap resamples of the confidence intervals. */
    resamples: z.int().min(1000).max(100_000).default(2000),
    /** Also evaluate the Popularity and ItemKNN baselines for the report. */
    baselines: z.boolean().default(true),
  })
  .prefault({})
  .refine(
    (e) => e.metric === 'mrr' || e.ks.includes(Number(e.metric.split('@')[1])),
    "the metric's K must be one of ks",
  );

/** Where winning models are versioned. */
const registrySchema = z
  .strictObject({
    /** Register model versions in MLflow's model registry. @default true */
    enabled: z.boolean().default(true),
    /** Registered model name; defaults to the pipeline name. */
    model: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)
      .optional(),
    /** Alias that marks the serving model; moves only when the decision promotes. */
    alias: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/)
      .default('champion'),
  })
  .prefault({});

/** How the workflow drives its activities. */
const orchestrationSchema = z
  .strictObject({
    /**
     * A stage whose worker sent no heartbeat for this long is retried elsewhere (from its
     * last checkpoint). Workers heartbeat every 5 s, so lower values notice a dead worker
     * sooner. @default 60
     */
    heartbeatTimeoutSeconds: z.int().min(10).max(3600).default(60),
  })
  .prefault({});

export const pipelineConfigSchema = z.strictObject({
  /** Name of the pipeline: MLflow experiment suffix and registered-model name. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64)')
    .default('recsys-augment'),
  /** One seed for every random choice in the run. @default 42 */
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(42),
  data: dataSchema,
  preprocess: preprocessSchema,
  gan: ganSchema,
  llm: llmSchema,
  resample: resampleSchema,
  model: modelSchema,
  evaluate: evaluateSchema,
  registry: registrySchema,
  orchestration: orchestrationSchema,
});

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
