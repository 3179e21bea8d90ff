/**
 * The strongest tuned baseline on validation, searched once per (train split, validation
 * split, candidates, code) and shared: teacher, expandLlm and evaluate all want it, and the
 * search (EASE's lambdas, RP3beta's betas, each scored on validation) costs far more than
 * refitting the winner. The first stage to need it searches and stores the choice (which
 * baseline, its setting, every candidate's validation figure) as a small JSON object in the
 * artifact store; the others refit the winner with that setting, which gives the same
 * scorer. Stages that ask at the same time in one process wait for the one search. The key
 * hashes this module's code identity (the search code it reaches), so a code change never
 * reuses an older choice; a missing or unreadable object is searched again.
 */
import { codeIdentityOf } from '../lib/code-identity/index.ts';
import type { Csr } from '../lib/eval/types.ts';
import {
  TEACHER_CANDIDATES,
  choiceOf,
  strongestBaseline,
} from '../lib/models/baselines/strongest.ts';
import type {
  StrongestBaseline,
  StrongestChoice,
  TeacherCandidate,
} from '../lib/models/baselines/strongest.ts';
import { NotFoundError, joinKey, sha256 } from '../lib/store/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import type { StageContext } from './stage-runner.ts';

/** Where the choices live in the artifact store, one JSON object per key. */
export const BASELINE_CHOICES = 'shared/strongest-baseline';

/** The searched-once baseline, and whether this call reused a stored choice. */
export type SharedBaseline = StrongestBaseline & { reused: boolean };

/**
 * The key of a search: the code (this module's identity, which covers the search code it
 * reaches), the two splits' content hashes (from the preprocess manifest) and the
 * candidates in order (on ties the earlier one wins).
 */
export function baselineChoiceKey(
  ctx: Pick<StageContext<unknown>, 'inputManifest'>,
  candidates: readonly TeacherCandidate[],
  code: string = codeIdentityOf(import.meta.url),
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
      candidates,
    }),
  );
}

/** The stored choice for a key, or undefined (none yet, or not a readable choice). */
export async function storedBaselineChoice(
  store: ArtifactStore,
  key: string,
): Promise<StrongestChoice | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.getBytes(joinKey(BASELINE_CHOICES, `${key}.json`));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  try {
    const c = JSON.parse(Buffer.from(bytes).toString('utf8')) as StrongestChoice;
    const winner = c.candidates?.find((x) => x.name === c.name && !x.skipped);
    return winner && typeof c.validNdcg10 === 'number' ? c : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The strongest baseline for a stage that read the preprocess splits `train` and `valid`:
 * refitted from the stored choice when there is one, else searched and stored.
 */
export async function sharedStrongestBaseline(
  ctx: Pick<StageContext<unknown>, 'inputManifest' | 'store' | 'signal'>,
  train: Csr,
  valid: Csr,
  nItems: number,
  options: {
    candidates?: readonly TeacherCandidate[];
    onCandidate?: (name: TeacherCandidate) => void;
  } = {},
): Promise<SharedBaseline> {
  const candidates = options.candidates ?? TEACHER_CANDIDATES;
  const key = baselineChoiceKey(ctx, candidates);
  // Teacher and expandLlm start together: in one process the first to ask searches (its
  // promise registered before any await) and the others wait for its choice; if it fails,
  // each searches itself.
  const running = searching.get(key);
  const own = running ? undefined : deferred<StrongestChoice>();
  if (own) {
    own.promise.catch(() => undefined);
    searching.set(key, own.promise);
  }
  const fit = (choice?: StrongestChoice) =>
    strongestBaseline(train, valid, nItems, {
      candidates,
      signal: ctx.signal,
      ...(options.onCandidate ? { onCandidate: options.onCandidate } : {}),
      ...(choice ? { known: choice } : {}),
    });
  try {
    const known =
      (await storedBaselineChoice(ctx.store, key)) ?? (await running?.catch(() => undefined));
    if (known) {
      own?.resolve(known);
      return Object.assign(await fit(known), { reused: true });
    }
    const best = await fit();
    await ctx.store.putBytes(
      joinKey(BASELINE_CHOICES, `${key}.json`),
      JSON.stringify(choiceOf(best)),
      { contentType: 'application/json', signal: ctx.signal },
    );
    own?.resolve(choiceOf(best));
    return Object.assign(best, { reused: false });
  } catch (err) {
    own?.reject(err);
    throw err;
  } finally {
    if (own) searching.delete(key);
  }
}

/** Searches running in this process, by key, until their choice is stored (or known). */
const searching = new Map<string, Promise<StrongestChoice>>();

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
