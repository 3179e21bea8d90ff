/**
 * LLMRec-style sample expansion: candidates from a base model, a chooser (an
 * OpenAI-compatible LLM, or the local item-sequence fallback) picks liked and disliked.
 */
export type * from './types.ts';
export { answerGrammarSchema, answerJsonSchema, parseAnswer } from './answer.ts';
export { buildPrompt, cleanText, SYSTEM_PROMPT } from './prompt.ts';
export type { ItemText } from './prompt.ts';
export { OpenAiProvider } from './openai-provider.ts';
export type { OpenAiOptions, StructuredOutput } from './openai-provider.ts';
export { GgufProvider, modelFingerprint } from './gguf-provider.ts';
export type { GgufGpu, GgufOptions } from './gguf-provider.ts';
export { ResponseCache, CACHE_PREFIX } from './response-cache.ts';
export { LlmChooser } from './llm-chooser.ts';
export { SequenceChooser } from './sequence-chooser.ts';
export { trainSequenceModel } from './sequence-train.ts';
export type { SequenceModel, SequenceTrainConfig } from './sequence-train.ts';
export { timeOrderedHistories, withoutLatest } from './sequences.ts';
export { expandUsers } from './expand.ts';
export type { ExpansionResult } from './expand.ts';
export { pickUsers } from './users.ts';
export type { LlmUsers } from './users.ts';
export { describeSideInformation, itemFeatures } from './item-features.ts';
export type { ItemFeatures, SideField } from './item-features.ts';
export { contentScores, mixScores } from './content-scores.ts';
export { chooseSideWeight, SIDE_WEIGHTS } from './side-weight.ts';
export type { SideWeightChoice, SideWeightFigures } from './side-weight.ts';
export { strongestCandidates } from './candidates.ts';
export type { CandidateModel, CandidateQuery, ProposeCandidates } from './candidates.ts';
export { heldOutAmongCandidates, heldOutChoices } from './held-out-choices.ts';
