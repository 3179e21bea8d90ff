import { join } from 'node:path';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import {
  readInteractionsParquet,
  readItemsParquet,
  writeSyntheticParquet,
} from '../lib/data/index.ts';
import { csrFromCoo } from '../lib/eval/csr.ts';
import { expandUsers, pickUsers, timeOrderedHistories } from '../lib/llm/index.ts';
import { chooserBatch, makeChooser } from '../lib/llm/make-chooser.ts';
import { topNewItemsAsync } from '../lib/models/baselines/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { catalogSize } from './split-data.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

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
  source: import.meta.url,
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
    const { chooser, training, close, details } = await makeChooser(
      {
        llm: cfg,
        seed: ctx.config.seed,
        store: ctx.store,
        heartbeat: ctx.heartbeat,
        signal: ctx.signal,
      },
      histories,
      nItems,
      meta,
    );
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

export function expandLlmActivity(store: ArtifactStore) {
  return (input: StageInput<ExpandLlmStageConfig>): Promise<StageRef> =>
    runStage(expandLlmStage, input, store);
}
