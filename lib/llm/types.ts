/**
 * Contract of LLMRec-style expansion: for a user, a base model proposes candidate items; a
 * chooser (an LLM, or the local item-sequence fallback) names one liked and one disliked
 * candidate. Pure types.
 */

/** One user's question: their history (most recent first) and the numbered candidates. */
export interface ChoiceRequest {
  user: number;
  /** Train items, most recent first. */
  history: Int32Array;
  /** Candidate item ids, in the order they are numbered (1-based in prompts). */
  candidates: Int32Array;
}

/** Why an answer was dropped. */
export type DropReason = 'malformed' | 'outOfRange' | 'same' | 'failed';

/** A chooser's answer: 0-based candidate indices, or why there is none. */
export type Choice =
  | { ok: true; liked: number; disliked: number; /** Confidence in 0..1. */ score: number }
  | { ok: false; reason: DropReason; detail: string };

/** Request accounting of a chooser (all zero for the local fallback). */
export interface Usage {
  /** Prompts answered by the provider (not from the cache). */
  requests: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** Prompts answered from the response cache. */
  cached: number;
  promptTokens: number;
  completionTokens: number;
}

export function emptyUsage(): Usage {
  return { requests: 0, attempts: 0, cached: 0, promptTokens: 0, completionTokens: 0 };
}

/** Who produced the samples, for the run summary and the report. */
export interface ChooserInfo {
  /**
   * `openai`: an OpenAI-compatible endpoint; `gguf`: a local GGUF model run by llama.cpp;
   * `sequence`: the local item-sequence fallback.
   */
  provider: LlmProvider['kind'] | 'sequence';
  model: string;
  /** True when no LLM produced the samples (the fallback did). */
  fallback: boolean;
}

/** Answers batches of questions; the expansion loop drives it. */
export interface Chooser {
  readonly info: ChooserInfo;
  choose(batch: ChoiceRequest[], signal?: AbortSignal): Promise<Choice[]>;
  usage(): Usage;
}

/** What an LLM provider returns for one prompt. */
export interface Completion {
  text: string;
  promptTokens: number;
  completionTokens: number;
}

/** An LLM that answers one prompt with a choice among `candidates` numbered candidates. */
export interface LlmProvider {
  readonly kind: 'openai' | 'gguf';
  /** The model's name, for the run summary. */
  readonly model: string;
  /** Calls made to the model, retries included. */
  readonly attempts: number;
  complete(prompt: Prompt, candidates: number, signal?: AbortSignal): Promise<Completion>;
}

/** A chat prompt: fixed instructions and the user's data. */
export interface Prompt {
  system: string;
  user: string;
}
