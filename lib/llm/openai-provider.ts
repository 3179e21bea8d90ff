/**
 * Any OpenAI-compatible chat-completions endpoint (vLLM, Ollama, llama.cpp's server, hosted
 * APIs) through the official `openai` SDK. The SDK retries 408/409/429/5xx, connection errors
 * and timeouts with exponential backoff and jitter (honouring Retry-After); a counting fetch
 * measures attempts. Structured output (`json_schema`) is asked for when configured; with
 * `auto`, a server that rejects it gets plain prompts from then on and the answer is parsed
 * and validated either way. Errors that cannot succeed on retry (bad key, unknown model)
 * become ConfigErrors; the API key never appears in a message.
 */
import OpenAI from 'openai';
import { ConfigError } from '../config/errors.ts';
import { answerJsonSchema } from './answer.ts';
import type { Completion, LlmProvider, Prompt } from './types.ts';

export type StructuredOutput = 'auto' | 'json_schema' | 'json_object' | 'none';

export interface OpenAiOptions {
  baseUrl: string;
  model: string;
  /** The key's value (from the environment); never logged or stored. */
  apiKey?: string;
  /** Name of the variable the key came from, for error messages. */
  apiKeyEnv: string;
  timeoutMs: number;
  maxRetries: number;
  structuredOutput: StructuredOutput;
  temperature: number;
  maxTokens: number;
}

export class OpenAiProvider implements LlmProvider {
  private readonly client: OpenAI;
  private mode: StructuredOutput;
  /** HTTP attempts (retries included). */
  attempts = 0;
  readonly kind = 'openai' as const;

  constructor(readonly options: OpenAiOptions) {
    this.mode = options.structuredOutput;
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      // Local servers need no key, but the SDK insists on one.
      apiKey: options.apiKey || 'no-key',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      logLevel: 'off',
      fetch: (url, init) => {
        this.attempts++;
        return fetch(url, init);
      },
    });
  }

  /** The structured-output mode in effect (`auto` turns into what the server accepts). */
  get structuredOutput(): StructuredOutput {
    return this.mode;
  }

  get model(): string {
    return this.options.model;
  }

  async complete(prompt: Prompt, candidates: number, signal?: AbortSignal): Promise<Completion> {
    const schema = answerJsonSchema(candidates);
    try {
      return await this.request(prompt, schema, signal);
    } catch (err) {
      // A server without structured output says 400/422 to response_format: ask plainly.
      if (this.mode === 'auto' && (err as { status?: number }).status === 400) {
        this.mode = 'none';
        return this.request(prompt, schema, signal).catch((e: unknown) => {
          throw this.explain(e);
        });
      }
      throw this.explain(err);
    }
  }

  private async request(
    prompt: Prompt,
    schema: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<Completion> {
    const o = this.options;
    const res = await this.client.chat.completions.create(
      {
        model: o.model,
        temperature: o.temperature,
        max_tokens: o.maxTokens,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        ...this.responseFormat(schema),
      },
      { signal },
    );
    const text = res.choices?.[0]?.message?.content;
    return {
      // An empty or missing message is a malformed answer, dropped by the caller.
      text: typeof text === 'string' ? text : '',
      promptTokens: res.usage?.prompt_tokens ?? 0,
      completionTokens: res.usage?.completion_tokens ?? 0,
    };
  }

  private responseFormat(schema: Record<string, unknown>) {
    if (this.mode === 'auto' || this.mode === 'json_schema')
      return {
        response_format: {
          type: 'json_schema' as const,
          json_schema: { name: 'choice', schema, strict: true },
        },
      };
    if (this.mode === 'json_object') return { response_format: { type: 'json_object' as const } };
    return {};
  }

  /** Turns errors that retrying cannot fix into ConfigErrors naming the setting to change. */
  private explain(err: unknown): unknown {
    const o = this.options;
    if (err instanceof OpenAI.AuthenticationError || err instanceof OpenAI.PermissionDeniedError)
      return new ConfigError('llm.openai', [
        {
          field: o.apiKeyEnv,
          value: o.apiKey ? '(set, redacted)' : undefined,
          expected: `a key ${o.baseUrl} accepts (HTTP ${err.status})`,
        },
      ]);
    if (err instanceof OpenAI.NotFoundError)
      return new ConfigError('llm.openai', [
        {
          field: 'llm.openai.model',
          value: o.model,
          expected: `a model ${o.baseUrl} serves (HTTP 404: ${err.message.slice(0, 200)})`,
        },
      ]);
    if (err instanceof OpenAI.BadRequestError || err instanceof OpenAI.UnprocessableEntityError)
      return new ConfigError('llm.openai', [
        {
          field: 'llm.openai',
          value: { model: o.model, structuredOutput: this.mode },
          expected: `settings ${o.baseUrl} accepts (HTTP ${err.status}: ${err.message.slice(0, 200)})`,
        },
      ]);
    return err;
  }
}
