/**
 * The LLM chooser: prompt per user, answer from the response cache or the provider (with a
 * concurrency limit), then validated. A provider error that survives the SDK's retries fails
 * the batch; the stage is retried by Temporal and pays only for prompts not yet cached.
 */
import { answerJsonSchema, parseAnswer } from './answer.ts';
import { mapPool } from '../async/pool.ts';
import { buildPrompt } from './prompt.ts';
import type { ItemText, PromptOptions } from './prompt.ts';
import type { ResponseCache } from './response-cache.ts';
import { emptyUsage } from './types.ts';
import type { Choice, ChoiceRequest, Chooser, ChooserInfo, LlmProvider, Usage } from './types.ts';

export interface LlmChooserOptions extends PromptOptions {
  concurrency: number;
}

export class LlmChooser implements Chooser {
  readonly info: ChooserInfo;
  private readonly counts: Usage = emptyUsage();

  constructor(
    private readonly provider: LlmProvider,
    private readonly cache: ResponseCache,
    private readonly text: ItemText,
    private readonly options: LlmChooserOptions,
  ) {
    this.info = { provider: provider.kind, model: provider.model, fallback: false };
  }

  usage(): Usage {
    return { ...this.counts, attempts: this.provider.attempts };
  }

  choose(batch: ChoiceRequest[], signal?: AbortSignal): Promise<Choice[]> {
    return mapPool(batch, this.options.concurrency, (req) => this.ask(req, signal), signal);
  }

  private async ask(req: ChoiceRequest, signal?: AbortSignal): Promise<Choice> {
    const prompt = buildPrompt(req, this.text, this.options);
    const n = req.candidates.length;
    // The key names the JSON schema of the answer, whatever constrains the provider.
    const key = this.cache.keyOf(prompt, answerJsonSchema(n));
    let answer = await this.cache.get(key);
    if (answer) this.counts.cached++;
    else {
      answer = await this.provider.complete(prompt, n, signal);
      this.counts.requests++;
      this.counts.promptTokens += answer.promptTokens;
      this.counts.completionTokens += answer.completionTokens;
      await this.cache.put(key, answer);
    }
    return parseAnswer(answer.text, n);
  }
}
