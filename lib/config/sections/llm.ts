// The `llm` section: LLMRec-style expansion (expandLlm) and its choosers: an OpenAI-compatible
// endpoint, a local GGUF model, or the local item-sequence model.

import { z } from 'zod';
import {
  SEQUENCE_BUDGET_SECONDS,
  SEQUENCE_MAX_WINDOWS,
  sourceMaxUsers,
  sparseThreshold,
} from './limits.ts';

export const llmSchema = z
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
    sparseThreshold: sparseThreshold(),
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
    oneStepBack: z
      .boolean()
      .default(true)
      .describe(
        "With the leave-last-out split: also expand each user from their history without its latest train row (candidates and choice alike), and let the policy score the LLM source's candidates with those rows, as the teacher's (teacher.oneStepBack). With an LLM provider this asks a second prompt per user (cached like the first). B itself takes the real rows.",
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
