/**
 * A local GGUF model run by llama.cpp through node-llama-cpp, whose prebuilt binaries come
 * from npm (CPU builds here; CUDA and Vulkan builds are used where the worker has the
 * hardware). Every answer is generated under a grammar made from the answer's schema
 * (answerGrammarSchema), so it always parses and names two different candidates. Nothing is
 * downloaded or built at run time: a missing binary or model is a ConfigError.
 *
 * Each concurrent prompt gets its own sequence of one llama.cpp context, and each prompt
 * starts from an empty sequence, so an answer depends on its prompt alone.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import type {
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import { ConfigError } from '../config/errors.ts';
import { answerGrammarSchema } from './answer.ts';
import type { Completion, LlmProvider, Prompt } from './types.ts';

export type GgufGpu = 'auto' | 'cpu' | 'cuda' | 'vulkan';

export interface GgufOptions {
  /** A GGUF file on the worker's disk. */
  modelPath: string;
  gpu: GgufGpu;
  /** Tokens per sequence (prompt and answer). */
  contextSize: number;
  /** CPU threads; 0 = one per core. */
  threads: number;
  /** Prompts answered at once (one context sequence each). */
  concurrency: number;
  temperature: number;
  /** Sampling seed (used when temperature > 0). */
  seed: number;
  maxTokens: number;
  timeoutMs: number;
}

const SOURCE = 'llm.gguf';
/** Tokens a chat template adds around the messages (role markers), kept free of prompts. */
const TEMPLATE_TOKENS = 64;
/** Bytes hashed at each end of the file for its fingerprint. */
const FINGERPRINT_BYTES = 4 << 20;

type LlamaCpp = typeof NodeLlamaCpp;

/**
 * node-llama-cpp, imported on first use: importing it costs ~0.3 s and 40 MB, which
 * every process that merely imports lib/llm would otherwise pay.
 */
let llamaCpp: Promise<LlamaCpp> | undefined;
/** One llama.cpp binding per GPU choice (and CPU thread cap) and process: ~0.5 s to load. */
const bindings = new Map<string, Promise<Llama>>();

export class GgufProvider implements LlmProvider {
  readonly kind = 'gguf' as const;
  /** Prompts generated (a local model is never retried). */
  attempts = 0;
  private readonly free: LlamaContextSequence[];
  private readonly waiting: ((s: LlamaContextSequence) => void)[] = [];
  private readonly grammars = new Map<number, LlamaGrammar>();
  private system: { text: string; count: number } | undefined;

  private constructor(
    private readonly lib: LlamaCpp,
    readonly options: GgufOptions,
    readonly model: string,
    /** Size and hashes of the file's two ends: names the weights in the response cache. */
    readonly fingerprint: string,
    /** Which llama.cpp build runs the model (`cpu`, `cuda`, `vulkan`, `metal`). */
    readonly device: string,
    private readonly llama: Llama,
    private readonly loaded: LlamaModel,
    private readonly context: LlamaContext,
  ) {
    this.free = Array.from({ length: options.concurrency }, () => context.getSequence());
  }

  /** Loads the model and a context; a missing or unreadable model is a ConfigError. */
  static async open(options: GgufOptions): Promise<GgufProvider> {
    const fingerprint = await modelFingerprint(options.modelPath);
    llamaCpp ??= import('node-llama-cpp');
    const lib = await llamaCpp;
    const llama = await binding(lib, options);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: options.modelPath });
    } catch (err) {
      throw configError(
        'modelPath',
        options.modelPath,
        `a GGUF model llama.cpp can load (${message(err)})`,
      );
    }
    let context: LlamaContext;
    try {
      context = await model.createContext({
        contextSize: options.contextSize,
        sequences: options.concurrency,
        ...(options.threads > 0 ? { threads: options.threads } : {}),
      });
    } catch (err) {
      await model.dispose();
      throw configError(
        'contextSize',
        options.contextSize,
        `a context that fits this worker's memory for ${options.concurrency} sequence(s) (${message(err)})`,
      );
    }
    const name = model.fileInfo.metadata?.general?.name;
    const device = llama.gpu === false ? 'cpu' : llama.gpu;
    return new GgufProvider(
      lib,
      options,
      typeof name === 'string' && name ? name : basename(options.modelPath),
      fingerprint,
      device,
      llama,
      model,
      context,
    );
  }

  async complete(prompt: Prompt, candidates: number, signal?: AbortSignal): Promise<Completion> {
    const o = this.options;
    const promptTokens =
      this.systemTokens(prompt.system) + this.loaded.tokenize(prompt.user).length;
    if (promptTokens + TEMPLATE_TOKENS + o.maxTokens > o.contextSize)
      throw new ConfigError(SOURCE, [
        {
          field: 'llm.gguf.contextSize',
          value: o.contextSize,
          expected: `room for a ${promptTokens}-token prompt and ${o.maxTokens} answer tokens (raise it, or lower llm.maxHistoryTokens)`,
        },
      ]);
    const grammar = await this.grammar(candidates);
    const sequence = await this.acquire();
    let session: InstanceType<LlamaCpp['LlamaChatSession']> | undefined;
    const timeout = AbortSignal.timeout(o.timeoutMs);
    const before = sequence.tokenMeter.getState();
    try {
      await sequence.clearHistory();
      session = new this.lib.LlamaChatSession({
        contextSequence: sequence,
        systemPrompt: prompt.system,
        autoDisposeSequence: false,
      });
      this.attempts++;
      const text = await session.prompt(prompt.user, {
        grammar,
        temperature: o.temperature,
        seed: o.seed,
        maxTokens: o.maxTokens,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const used = sequence.tokenMeter.diff(before);
      return { text, promptTokens: used.usedInputTokens, completionTokens: used.usedOutputTokens };
    } catch (err) {
      if (timeout.aborted && !signal?.aborted)
        throw new Error(`${this.model}: no answer within ${o.timeoutMs / 1000} s`);
      throw err;
    } finally {
      session?.dispose({ disposeSequence: false });
      this.release(sequence);
    }
  }

  /** Tokens of a system prompt: the same text for every prompt of a stage, counted once. */
  private systemTokens(text: string): number {
    if (this.system?.text !== text)
      this.system = { text, count: this.loaded.tokenize(text).length };
    return this.system.count;
  }

  /** Frees the context and the model (the binding stays loaded for the next stage). */
  async close(): Promise<void> {
    await this.context.dispose();
    await this.loaded.dispose();
  }

  private async grammar(candidates: number): Promise<LlamaGrammar> {
    let g = this.grammars.get(candidates);
    if (!g) {
      g = await this.llama.createGrammarForJsonSchema(answerGrammarSchema(candidates));
      this.grammars.set(candidates, g);
    }
    return g;
  }

  private acquire(): Promise<LlamaContextSequence> {
    const s = this.free.pop();
    return s ? Promise.resolve(s) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(s: LlamaContextSequence): void {
    const next = this.waiting.shift();
    if (next) next(s);
    else this.free.push(s);
  }
}

/** Prebuilt binaries only: never a download or a source build on a worker. */
function binding(lib: LlamaCpp, options: GgufOptions): Promise<Llama> {
  const { LlamaLogLevel } = lib;
  // On CPU llama.cpp defaults to max(cores, 4) threads; more threads than cores spin.
  const threads = options.threads || availableParallelism();
  const key = options.gpu === 'cpu' ? `cpu:${threads}` : options.gpu;
  let p = bindings.get(key);
  if (!p) {
    p = lib
      .getLlama({
        gpu: options.gpu === 'cpu' ? false : options.gpu,
        build: 'never',
        skipDownload: true,
        progressLogs: false,
        logLevel: LlamaLogLevel.warn,
        logger: (level, text) => {
          if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
            console.error(`[llama.cpp] ${text}`);
        },
        ...(options.gpu === 'cpu' ? { maxThreads: threads } : {}),
      })
      .catch((err: unknown) => {
        bindings.delete(key);
        throw configError(
          'gpu',
          options.gpu,
          `a llama.cpp build that loads on this worker (${message(err)})`,
        );
      });
    bindings.set(key, p);
  }
  return p;
}

/**
 * Size plus SHA-256 of the file's first and last 4 MiB: cheap for multi-GB weights, and two
 * different models (or quantisations) differ there. Checks the GGUF magic on the way.
 */
export async function modelFingerprint(path: string): Promise<string> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch (err) {
    throw configError('modelPath', path, `a GGUF file on this worker (${message(err)})`);
  }
  const file = await open(path, 'r');
  try {
    const hash = createHash('sha256').update(String(size));
    const head = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
    await file.read(head, 0, head.length, 0);
    if (head.subarray(0, 4).toString('latin1') !== 'GGUF')
      throw configError('modelPath', path, 'a GGUF file (it does not start with "GGUF")');
    hash.update(head);
    if (size > FINGERPRINT_BYTES) {
      const tail = Buffer.alloc(Math.min(size - FINGERPRINT_BYTES, FINGERPRINT_BYTES));
      await file.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return `${size}-${hash.digest('hex').slice(0, 32)}`;
  } finally {
    await file.close();
  }
}

function configError(field: string, value: unknown, expected: string): ConfigError {
  return new ConfigError(SOURCE, [{ field: `llm.gguf.${field}`, value, expected }]);
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}
