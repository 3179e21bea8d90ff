import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import { readItemsParquet, writeSyntheticFile } from '../lib/data/index.ts';
import { capSparsest } from '../lib/eval/sparsest-users.ts';
import { strongestCandidates } from '../lib/llm/candidates.ts';
import { recencyRanksAsync } from '../lib/models/baselines/recency.ts';
import { sharedStrongestBaseline } from './baseline-choice.ts';
import { LLM_BACK_FILE } from './resample-input.ts';
// Not the teacher's index: expandLlm's code identity stays clear of its proposals' code.
import { teacherOneStepBack } from '../lib/teacher/one-step-back.ts';
import { heldOutAmongCandidates } from '../lib/llm/held-out-choices.ts';
import {
  describeSideInformation,
  expandUsers,
  itemFeatures,
  pickUsers,
  timeOrderedHistories,
  withoutLatest,
} from '../lib/llm/index.ts';
import { chooserBatch, makeChooser } from '../lib/llm/make-chooser.ts';
import { MIN_SIDE_QUESTIONS } from '../lib/llm/side-weight.ts';
import type { SideWeightChoice } from '../lib/llm/side-weight.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { catalogSize, oneStepBackSkipped, readSplit, readSplitCsr } from './split-data.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface ExpandLlmStageConfig {
  llm: Omit<PipelineConfig['llm'], 'enabled'>;
  seed: number;
}

/** Longest history handed to a chooser; prompts are bounded further by maxHistoryTokens. */
const MAX_HISTORY = 200;

/**
 * expandLlm: for the selected users, a base model fitted on the train split (scored on
 * validation; the stats name it) proposes candidates and a chooser names one liked and one
 * disliked; each answer becomes a positive and an explicit negative (`llm.parquet`, source
 * llm). The chooser is an OpenAI-compatible LLM, or - when none is configured - the
 * item-sequence model trained here, with the items' side information mixed in at a weight
 * chosen on validation; the stats say which, and say so plainly when the data has no item
 * metadata. With the leave-last-out split (`llm.oneStepBack`) the same users are expanded
 * again from their histories without the latest train row (`llm-back.parquet`), which the
 * policy scores the source's candidates with, as it does the teacher's
 * (lib/teacher/one-step-back.ts). Reads the train and validation splits and item metadata,
 * never the test split.
 */
export const expandLlmStage: StageDefinition<ExpandLlmStageConfig> = {
  name: 'expandLlm',
  source: import.meta.url,
  needs: ['preprocess'],
  reads: { preprocess: ['train.parquet', 'valid.parquet', 'items.parquet'] },
  async run(ctx) {
    const t0 = Date.now();
    const cfg = ctx.config.llm;
    const { nUsers, nItems } = catalogSize(ctx);
    const { rows: train, csr: trainCsr } = await readSplit(ctx, 'train');
    const validCsr = await readSplitCsr(ctx, 'valid');
    const { meta } = await readItemsParquet(await ctx.inputFile('preprocess', 'items.parquet'));
    const histories = timeOrderedHistories(train, nUsers);
    const selected = pickUsers(trainCsr, nUsers, cfg.users, cfg.sparseThreshold, ctx.config.seed);
    // Absent in configs from before the cap: no cap.
    const users = capSparsest(selected, trainCsr, cfg.maxUsers ?? Infinity);

    ctx.heartbeat({ phase: 'proposing candidates', users: users.length });
    const recency = await recencyRanksAsync(train, nUsers);
    const baseline = await sharedStrongestBaseline(ctx, trainCsr, validCsr, nItems, { recency });
    const base = await strongestCandidates({
      train: trainCsr,
      valid: validCsr,
      nItems,
      users,
      perUser: cfg.candidates,
      signal: ctx.signal,
      baseline,
    });
    const candidates = base.top;
    const features = itemFeatures(meta, nItems);
    const side = describeSideInformation(features);
    const { chooser, training, close, details, sideWeight } = await makeChooser(
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
      {
        features,
        questions: heldOutAmongCandidates(users, histories, candidates, validCsr, ctx.config.seed),
      },
    );
    // One step back (teacher.oneStepBack's reasoning): the base model scoring each history
    // without its latest row proposes, and the chooser reads that history.
    const backSkipped = oneStepBackSkipped(ctx, cfg.oneStepBack);
    const stepBack =
      backSkipped === undefined
        ? teacherOneStepBack(trainCsr, recency, nItems, baseline)
        : undefined;
    const expand = (phase: string, h: typeof histories, c: typeof candidates) =>
      expandUsers(users, h, c, chooser, {
        batchSize: chooserBatch(cfg),
        maxHistory: MAX_HISTORY,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.heartbeat({ phase, done, total, ...chooser.usage() }),
      });
    let result: Awaited<ReturnType<typeof expand>>;
    let back: typeof result | undefined;
    try {
      result = await expand('choosing', histories, candidates);
      if (stepBack) {
        ctx.heartbeat({ phase: 'proposing candidates one step back', users: users.length });
        const backCandidates = await stepBack.teacher.topUnseen(users, cfg.candidates);
        back = await expand('choosing one step back', withoutLatest(histories), backCandidates);
      }
    } finally {
      await close();
    }

    const written = (name: string, rows: typeof result.rows) =>
      writeSyntheticFile(ctx.workDir, name, { ...rows, source: 'llm', nUsers, nItems });
    const llmFile = await written('llm.parquet', result.rows);
    const backFile = back ? await written(LLM_BACK_FILE, back.rows) : undefined;
    const usage = chooser.usage();
    const o = cfg.openai;
    const cost =
      cfg.provider !== 'openai'
        ? 0
        : (usage.promptTokens * o.promptPricePerMillion +
            usage.completionTokens * o.completionPricePerMillion) /
          1e6;
    const sideInformation = {
      fields: side.fields,
      note: sideInformationNote(side, chooser.info.fallback, sideWeight),
      ...(sideWeight ? { weight: sideWeight.weight, validation: sideWeight } : {}),
    };
    const summary = {
      ...chooser.info,
      note: chooser.info.fallback
        ? 'No LLM was configured: a local item-sequence model, not an LLM, chose the liked and disliked items.'
        : chooser.info.provider === 'gguf'
          ? `Answers from the local GGUF model ${chooser.info.model}, run by llama.cpp.`
          : `Answers from ${o.model} at an OpenAI-compatible endpoint.`,
      candidateModel: {
        name: base.name,
        validNdcg10: base.validNdcg10,
        tried: base.tried,
        searchReused: baseline.reused,
      },
      sideInformation,
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
        llmFile,
        ...(backFile ? [backFile] : []),
        await jsonOutput(ctx.workDir, 'expansion.json', summary, 1),
      ],
      stats: {
        provider: chooser.info.provider,
        model: chooser.info.model,
        fallback: chooser.info.fallback,
        ...details,
        candidateModel: base.name,
        candidateValidNdcg10: base.validNdcg10,
        sideInformation: side.fields,
        ...(sideWeight
          ? {
              sideInformationWeight: sideWeight.weight,
              sideInformationQuestions: sideWeight.questions,
              chooserValidHitRate: hitRateAt(sideWeight, sideWeight.weight),
              chooserValidHitRateIdsOnly: hitRateAt(sideWeight, 0),
            }
          : {}),
        rows: result.rows.n,
        ...(back
          ? { oneStepBackRows: back.rows.n }
          : { oneStepBackSkipped: backSkipped ?? 'a blended base model cannot leave rows out' }),
        users: result.users,
        usersSelected: selected.length,
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

/** The sentence the summary and the report give about the side information. */
function sideInformationNote(
  side: { fields: string; note: string },
  fallback: boolean,
  weight?: SideWeightChoice,
): string {
  if (side.fields === 'none')
    return fallback
      ? side.note
      : `${side.note} The LLM saw item numbers only, so its world knowledge could not apply.`;
  if (!fallback) return `${side.note} The LLM saw titles, years and genres in its prompts.`;
  if (!weight) return `${side.note} Not used: llm.sequence.sideInformation is off.`;
  if (weight.questions < MIN_SIDE_QUESTIONS)
    return `${side.note} Not used: only ${weight.questions} validation questions to weigh it on (${MIN_SIDE_QUESTIONS} needed).`;
  if (weight.weight === 0)
    return `${side.note} Not used: on ${weight.questions} validation questions it did not rank the held-out item higher than the item IDs alone.`;
  const pct = (w: number) => `${(100 * hitRateAt(weight, w)).toFixed(1)}%`;
  return `${side.note} Mixed in at weight ${weight.weight} (chosen on ${weight.questions} validation questions: held-out item liked ${pct(weight.weight)} with it, ${pct(0)} with the item IDs alone).`;
}

function hitRateAt(choice: SideWeightChoice, weight: number): number {
  return choice.figures.find((f) => f.weight === weight)?.hitRate ?? 0;
}

export function expandLlmActivity(store: ArtifactStore) {
  return (input: StageInput<ExpandLlmStageConfig>): Promise<StageRef> =>
    runStage(expandLlmStage, input, store);
}
