/**
 * The expandLlm stage's chooser: the configured LLM provider (an OpenAI-compatible endpoint
 * or a local GGUF model, their answers cached in the artifact store), or - when none is
 * configured - the item-sequence model trained on the train histories, with the items' side
 * information mixed in at the weight that does best on validation questions.
 */
import type { PipelineConfig } from '../config/pipeline.ts';
import type { Csr } from '../eval/types.ts';
import type { ArtifactStore } from '../store/index.ts';
import { GgufProvider } from './gguf-provider.ts';
import { LlmChooser } from './llm-chooser.ts';
import { OpenAiProvider } from './openai-provider.ts';
import type { ItemText } from './prompt.ts';
import { ResponseCache } from './response-cache.ts';
import type { ItemFeatures } from './item-features.ts';
import { SequenceChooser } from './sequence-chooser.ts';
import { trainSequenceModel } from './sequence-train.ts';
import { trainingBudget } from '../training/budget.ts';
import { chooseSideWeight } from './side-weight.ts';
import type { SideWeightChoice } from './side-weight.ts';
import type { ChoiceRequest, Chooser, LlmProvider } from './types.ts';

/** What building a chooser needs from the stage that runs it. */
export interface ChooserSetup {
  llm: Omit<PipelineConfig['llm'], 'enabled'>;
  seed: number;
  /** Where LLM responses are cached. */
  store: ArtifactStore;
  heartbeat(details: Record<string, unknown>): void;
  signal?: AbortSignal;
}

/** Requests handed to the chooser at once: enough to keep its concurrency busy. */
export function chooserBatch(cfg: ChooserSetup['llm']): number {
  if (cfg.provider === 'openai') return cfg.openai.concurrency * 8;
  if (cfg.provider === 'gguf') return cfg.gguf.concurrency * 8;
  return 256;
}

export interface MadeChooser {
  chooser: Chooser;
  training?: { epoch: number; loss: number; seconds: number }[];
  /** Frees what the chooser holds (a loaded model). */
  close: () => Promise<void>;
  /**
   * Facts about the chooser for the summary and stats (which llama.cpp build ran; how many
   * epochs the fallback trained and whether its seconds budget stopped it).
   */
  details?: Record<string, string | number | boolean>;
  /** The fallback's side-information weight and its validation figures, when it had features. */
  sideWeight?: SideWeightChoice;
}

/** Item features for the fallback, and validation questions to weigh them on. */
export interface FallbackSideInformation {
  features: ItemFeatures;
  /** Questions whose answer (`truth`: candidate position) is a held-out validation item. */
  questions: { requests: ChoiceRequest[]; truth: number[] };
}

/** The configured LLM, or the item-sequence fallback trained now on the train histories. */
export async function makeChooser(
  setup: ChooserSetup,
  histories: Csr,
  nItems: number,
  text: ItemText,
  side?: FallbackSideInformation,
): Promise<MadeChooser> {
  const cfg = setup.llm;
  const nothing = () => Promise.resolve();
  const llmChooser = (provider: LlmProvider, scope: Record<string, unknown>, concurrency: number) =>
    new LlmChooser(provider, new ResponseCache(setup.store, scope), text, {
      concurrency,
      maxHistoryTokens: cfg.maxHistoryTokens,
    });
  if (cfg.provider === 'gguf') {
    const g = cfg.gguf;
    setup.heartbeat({ phase: 'loading the GGUF model' });
    const provider = await GgufProvider.open({
      modelPath: g.modelPath!,
      gpu: g.gpu,
      contextSize: g.contextSize,
      threads: g.threads,
      concurrency: g.concurrency,
      temperature: g.temperature,
      seed: setup.seed,
      maxTokens: g.maxTokens,
      timeoutMs: g.timeoutSeconds * 1000,
    });
    // The weights (by fingerprint, not path) and sampling settings decide the answers.
    const scope = {
      provider: 'gguf',
      model: provider.fingerprint,
      temperature: g.temperature,
      maxTokens: g.maxTokens,
      ...(g.temperature > 0 ? { seed: setup.seed } : {}),
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
  const { sideInformation, budgetSeconds, ...train } = cfg.sequence;
  const budget = trainingBudget(budgetSeconds);
  const model = await trainSequenceModel(
    histories,
    nItems,
    { ...train, seed: setup.seed },
    {
      signal: setup.signal,
      shouldStop: budget.shouldStop,
      onEpoch: (epoch, loss) => {
        budget.epochDone();
        setup.heartbeat({ phase: 'training the item-sequence model', epoch, loss });
      },
    },
  );
  const trained = {
    sequenceEpochs: model.history.length,
    sequenceStoppedOnBudget: budget.stopped,
  };
  if (sideInformation === 'off' || !side || side.features.fields.length === 0)
    return {
      chooser: new SequenceChooser(model),
      training: model.history,
      close: nothing,
      details: trained,
    };
  setup.heartbeat({ phase: 'weighing side information on validation' });
  const sideWeight = chooseSideWeight(model, side.features, side.questions);
  return {
    chooser: new SequenceChooser(model, { features: side.features, weight: sideWeight.weight }),
    training: model.history,
    close: nothing,
    details: trained,
    sideWeight,
  };
}
