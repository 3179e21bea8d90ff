import { join } from 'node:path';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import {
  readInteractionsParquet,
  readItemsParquet,
  writeSyntheticParquet,
} from '../lib/data/index.ts';
import { csrFromCoo } from '../lib/eval/index.ts';
import {
  GgufProvider,
  LlmChooser,
  OpenAiProvider,
  ResponseCache,
  SequenceChooser,
  expandUsers,
  pickUsers,
  timeOrderedHistories,
  trainSequenceModel,
} from '../lib/llm/index.ts';
import type { Chooser, ItemText, LlmProvider } from '../lib/llm/index.ts';
import { topNewItemsAsync } from '../lib/models/baselines/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { catalogSize } from './split-data.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageContext, StageDefinition } from './stage-runner.ts';

export interface ExpandLlmStageConfig {
  llm: Omit<PipelineConfig['llm'], 'enabled'>;
  seed: number;
}

/** Longest history handed to a chooser; prompts are bounded further by maxHistoryTokens. */
const MAX_HISTORY = 200;

/**
 * expandLlm: for the selected users, item kNN on the train split proposes candidates and a
 * chooser names one liked and one disliked; each answer becomes a positive and an explicit
 * negative (`llm.parquet`, source llm). The chooser is an OpenAI-compatible LLM, or - when
 * none is configured - the item-sequence model trained here; the stats say which. Reads only
 * the train split and item metadata.
 */
export const expandLlmStage: StageDefinition<ExpandLlmStageConfig> = {
  name: 'expandLlm',
  codeVersion: '1',
  needs: ['preprocess'],
  reads: { preprocess: ['train.parquet', 'items.parquet'] },
  async run(ctx) {
    const t0 = Date.now();
    const cfg = ctx.config.llm;
    const { nUsers, nItems } = catalogSize(ctx);
    const train = await readInteractionsParquet(await ctx.inputFile('preprocess', 'train.parquet'));
    const { meta } = await readItemsParquet(await ctx.inputFile('preprocess', 'items.parquet'));
    const trainCsr = csrFromCoo(train.user, train.item, train.n, nUsers);
    const histories = timeOrderedHistories(train, nUsers);
    const users = pickUsers(trainCsr, nUsers, cfg.users, cfg.sparseThreshold, ctx.config.seed);

    ctx.heartbeat({ phase: 'proposing candidates', users: users.length });
    const candidates = await topNewItemsAsync(trainCsr, nItems, users, cfg.candidates);
    const { chooser, training, close, details } = await makeChooser(ctx, histories, nItems, meta);
    const result = await expandUsers(users, histories, candidates, chooser, {
      batchSize: chooserBatch(cfg),
      maxHistory: MAX_HISTORY,
      signal: ctx.signal,
      onProgress: (done, total) =>
        ctx.heartbeat({ phase: 'choosing', done, total, ...chooser.usage() }),
    }).finally(close);

    const path = join(ctx.workDir, 'llm.parquet');
    const { schema } = await writeSyntheticParquet(path, {
      ...result.rows,
      source: 'llm',
      nUsers,
      nItems,
    });
    const usage = chooser.usage();
    const o = cfg.openai;
    const cost =
      cfg.provider !== 'openai'
        ? 0
        : (usage.promptTokens * o.promptPricePerMillion +
            usage.completionTokens * o.completionPricePerMillion) /
          1e6;
    const summary = {
      ...chooser.info,
      note: chooser.info.fallback
        ? 'No LLM was configured: a local item-sequence model, not an LLM, chose the liked and disliked items.'
        : chooser.info.provider === 'gguf'
          ? `Answers from the local GGUF model ${chooser.info.model}, run by llama.cpp.`
          : `Answers from ${o.model} at an OpenAI-compatible endpoint.`,
      ...details,
      users: result.users,
      triples: result.triples,
      dropped: result.dropped,
      examples: result.examples,
      usage,
      ...(cost > 0 ? { costUsd: cost } : {}),
      ...(training ? { training } : {}),
    };
    return {
      kind: 'synthetic-rows',
      files: [
        { name: 'llm.parquet', path, rows: result.rows.n, schema },
        await jsonOutput(ctx.workDir, 'expansion.json', summary, 1),
      ],
      stats: {
        provider: chooser.info.provider,
        model: chooser.info.model,
        fallback: chooser.info.fallback,
        ...details,
        rows: result.rows.n,
        users: result.users,
        triples: result.triples,
        droppedMalformed: result.dropped.malformed,
        droppedOutOfRange: result.dropped.outOfRange,
        droppedSame: result.dropped.same,
        droppedFailed: result.dropped.failed,
        requests: usage.requests,
        httpAttempts: usage.attempts,
        cachedResponses: usage.cached,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        ...(cost > 0 ? { costUsd: cost } : {}),
        ...(training ? { fallbackFinalLoss: training.at(-1)?.loss ?? 0 } : {}),
        seconds: (Date.now() - t0) / 1000,
      },
    };
  },
};

/** Requests handed to the chooser at once: enough to keep its concurrency busy. */
function chooserBatch(cfg: ExpandLlmStageConfig['llm']): number {
  if (cfg.provider === 'openai') return cfg.openai.concurrency * 8;
  if (cfg.provider === 'gguf') return cfg.gguf.concurrency * 8;
  return 256;
}

interface MadeChooser {
  chooser: Chooser;
  training?: { epoch: number; loss: number; seconds: number }[];
  /** Frees what the chooser holds (a loaded model). */
  close: () => Promise<void>;
  /** Facts about the chooser for the summary and stats (which llama.cpp build ran). */
  details?: Record<string, string>;
}

/** The configured LLM, or the item-sequence fallback trained now on the train histories. */
async function makeChooser(
  ctx: StageContext<ExpandLlmStageConfig>,
  histories: ReturnType<typeof timeOrderedHistories>,
  nItems: number,
  text: ItemText,
): Promise<MadeChooser> {
  const cfg = ctx.config.llm;
  const nothing = () => Promise.resolve();
  const llmChooser = (provider: LlmProvider, scope: Record<string, unknown>, concurrency: number) =>
    new LlmChooser(provider, new ResponseCache(ctx.store, scope), text, {
      concurrency,
      maxHistoryTokens: cfg.maxHistoryTokens,
    });
  if (cfg.provider === 'gguf') {
    const g = cfg.gguf;
    ctx.heartbeat({ phase: 'loading the GGUF model' });
    const provider = await GgufProvider.open({
      modelPath: g.modelPath!,
      gpu: g.gpu,
      contextSize: g.contextSize,
      threads: g.threads,
      concurrency: g.concurrency,
      temperature: g.temperature,
      seed: ctx.config.seed,
      maxTokens: g.maxTokens,
      timeoutMs: g.timeoutSeconds * 1000,
    });
    // The weights (by fingerprint, not path) and sampling settings decide the answers.
    const scope = {
      provider: 'gguf',
      model: provider.fingerprint,
      temperature: g.temperature,
      maxTokens: g.maxTokens,
      ...(g.temperature > 0 ? { seed: ctx.config.seed } : {}),
    };
    return {
      chooser: llmChooser(provider, scope, g.concurrency),
      close: () => provider.close(),
      details: { device: provider.device, modelFingerprint: provider.fingerprint },
    };
  }
  if (cfg.provider === 'openai') {
    const o = cfg.openai;
    const provider = new OpenAiProvider({
      baseUrl: o.baseUrl!,
      model: o.model!,
      // Read here, in the worker: the key never enters the config, history or MLflow.
      apiKey: process.env[o.apiKeyEnv],
      apiKeyEnv: o.apiKeyEnv,
      timeoutMs: o.timeoutSeconds * 1000,
      maxRetries: o.maxRetries,
      structuredOutput: o.structuredOutput,
      temperature: o.temperature,
      maxTokens: o.maxTokens,
    });
    const scope = {
      provider: 'openai',
      model: o.model,
      temperature: o.temperature,
      maxTokens: o.maxTokens,
    };
    return { chooser: llmChooser(provider, scope, o.concurrency), close: nothing };
  }
  const model = await trainSequenceModel(
    histories,
    nItems,
    { ...cfg.sequence, seed: ctx.config.seed },
    {
      signal: ctx.signal,
      onEpoch: (epoch, loss) =>
        ctx.heartbeat({ phase: 'training the item-sequence model', epoch, loss }),
    },
  );
  return { chooser: new SequenceChooser(model), training: model.history, close: nothing };
}

export function expandLlmActivity(store: ArtifactStore) {
  return (input: StageInput<ExpandLlmStageConfig>): Promise<StageRef> =>
    runStage(expandLlmStage, input, store);
}
