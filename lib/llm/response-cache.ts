/**
 * LLM answers cached in the artifact store, keyed by (provider, model, sampling settings)
 * and the prompt's hash: a retried or resumed stage, or tomorrow's run over the same users,
 * pays for no prompt twice. Each entry is one small object, written atomically by the store.
 */
import { NotFoundError, joinKey, sha256, stableStringify } from '../store/index.ts';
import type { ArtifactStore } from '../store/index.ts';
import type { Completion, Prompt } from './types.ts';

export const CACHE_PREFIX = 'llm-cache';

export class ResponseCache {
  private readonly prefix: string;

  /** `scope` names what answers depend on besides the prompt (provider, model, settings). */
  constructor(
    private readonly store: ArtifactStore,
    scope: Record<string, unknown>,
  ) {
    this.prefix = joinKey(CACHE_PREFIX, sha256(stableStringify(scope)).slice(0, 32));
  }

  keyOf(prompt: Prompt, schema: Record<string, unknown>): string {
    return joinKey(this.prefix, `${sha256(stableStringify({ prompt, schema }))}.json`);
  }

  async get(key: string): Promise<Completion | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await this.store.getBytes(key);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    try {
      const c = JSON.parse(Buffer.from(bytes).toString('utf8')) as Completion;
      return typeof c.text === 'string' ? c : undefined;
    } catch {
      // A damaged entry is a miss; the fresh answer overwrites it.
      return undefined;
    }
  }

  async put(key: string, c: Completion): Promise<void> {
    await this.store.putBytes(key, JSON.stringify(c), { contentType: 'application/json' });
  }
}
