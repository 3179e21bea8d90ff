/**
 * A choice searched once per run and shared between stages: the strongest baseline
 * (baseline-choice.ts), the family of `model.family: auto` (family-choice.ts). Each search
 * trains or fits many candidates, while using its result costs little; the first stage to
 * need it searches and stores the choice as a small JSON object in the artifact store, and
 * the others read it. Stages that ask at the same time in one process wait for the one
 * search; if it fails, each searches itself. The key hashes the asking module's code
 * identity with the splits' content hashes and what else the search depends on, so a code
 * change never reuses an older choice; a missing or unreadable object is searched again.
 */
import { NotFoundError, joinKey, sha256 } from '../lib/store/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import type { StageContext } from './stage-runner.ts';

/**
 * The key of a search: `code` (the asking module's identity), the preprocess train and
 * validation splits' content hashes (from its manifest) and `inputs`, whose properties come
 * after those three in the hashed JSON.
 */
export function splitsChoiceKey(
  ctx: Pick<StageContext<unknown>, 'inputManifest'>,
  code: string,
  inputs: Record<string, unknown>,
): string {
  const files = ctx.inputManifest('preprocess').files;
  const hashOf = (name: string) => {
    const f = files.find((x) => x.name === name);
    if (!f) throw new Error(`the preprocess output has no ${name}`);
    return f.sha256;
  };
  return sha256(
    JSON.stringify({
      code,
      train: hashOf('train.parquet'),
      valid: hashOf('valid.parquet'),
      ...inputs,
    }),
  );
}

/**
 * The choice stored under `folder`/`key`.json, or undefined: none yet, or not one that
 * `parse` accepts (parse returns undefined for a value that is not a usable choice).
 */
export async function storedChoice<C>(
  store: ArtifactStore,
  folder: string,
  key: string,
  parse: (value: unknown) => C | undefined,
): Promise<C | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.getBytes(joinKey(folder, `${key}.json`));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  try {
    return parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    return undefined;
  }
}

export interface SharedSearch<C, R> {
  /** The artifact-store folder of this kind of choice. */
  folder: string;
  key: string;
  /** A stored value as a choice, or undefined when it is not a usable one. */
  parse(value: unknown): C | undefined;
  /** Runs the search: its result, and the choice to store (JSON-serialisable). */
  search(): Promise<{ result: R; choice: C }>;
  /** The result from a known choice, without the search. */
  reuse(choice: C): Promise<R>;
}

/** The result of a shared search, and whether it came from a stored (or awaited) choice. */
export async function sharedChoice<C, R>(
  ctx: Pick<StageContext<unknown>, 'store' | 'signal'>,
  spec: SharedSearch<C, R>,
): Promise<{ result: R; reused: boolean }> {
  const id = joinKey(spec.folder, spec.key);
  // The first to ask registers its promise before any await, so the others find it.
  const running = searching.get(id) as Promise<C> | undefined;
  const own = running ? undefined : deferred<C>();
  if (own) {
    own.promise.catch(() => undefined);
    searching.set(id, own.promise);
  }
  try {
    const known =
      (await storedChoice(ctx.store, spec.folder, spec.key, spec.parse)) ??
      (await running?.catch(() => undefined));
    if (known) {
      own?.resolve(known);
      return { result: await spec.reuse(known), reused: true };
    }
    const { result, choice } = await spec.search();
    await ctx.store.putBytes(joinKey(spec.folder, `${spec.key}.json`), JSON.stringify(choice), {
      contentType: 'application/json',
      signal: ctx.signal,
    });
    own?.resolve(choice);
    return { result, reused: false };
  } catch (err) {
    own?.reject(err);
    throw err;
  } finally {
    if (own) searching.delete(id);
  }
}

/** Searches running in this process, by folder and key, until their choice is stored. */
const searching = new Map<string, Promise<unknown>>();

/** A promise with its resolve and reject (Promise.withResolvers, which ES2022 lacks). */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
