/**
 * Checking and repairing published stage outputs: `augment verify` reads every file of a
 * stage output against its manifest; `augment resume --recompute` invalidates an output and
 * everything computed from it, so the next run republishes them under the same keys.
 */
import { mapPool } from '../async/pool.ts';
import { MANIFEST_NAME, loadManifest } from './manifest.ts';
import { ArtifactCorruptedError, NotFoundError, joinKey } from './types.ts';
import type { ArtifactStore } from './types.ts';

export type OutputHealth = 'ok' | 'corrupted' | 'missing';

export interface OutputCheck {
  key: string;
  status: OutputHealth;
  /** Files checked (hashed in full). */
  files: number;
  bytes: number;
  /** One line per problem: which object and what is wrong. */
  problems: string[];
}

/** Objects hashed at once while verifying: a few overlapping downloads. */
const VERIFY_CONCURRENCY = 4;

/**
 * Reads the manifest under `key` and every file it lists, hashing each as it streams (no
 * file is stored): `corrupted` if the manifest or any file differs from what was recorded,
 * `missing` if the manifest or a file is gone, else `ok`.
 */
export async function verifyStageOutput(store: ArtifactStore, key: string): Promise<OutputCheck> {
  const manifestUri = store.uriOf(joinKey(key, MANIFEST_NAME));
  const check = (status: OutputHealth, problems: string[], files = 0, bytes = 0) => ({
    key,
    status,
    files,
    bytes,
    problems,
  });
  let loaded;
  try {
    loaded = await loadManifest(store, key);
  } catch (err) {
    if (err instanceof ArtifactCorruptedError) return check('corrupted', [err.message]);
    throw err;
  }
  if (loaded.state === 'missing') return check('missing', [`${manifestUri} does not exist`]);
  if (loaded.state === 'legacy')
    return check('missing', [
      `${manifestUri} is a version 1 manifest (no manifestSha256): not trusted, the stage runs again`,
    ]);
  const m = loaded.manifest;
  const found = await mapPool(m.files, VERIFY_CONCURRENCY, async (f) => {
    try {
      const actual = await store.hashObject(joinKey(m.key, f.name));
      if (actual.sha256 === f.sha256 && actual.bytes === f.bytes) return undefined;
      return {
        status: 'corrupted' as const,
        problem: new ArtifactCorruptedError(f.uri, f.sha256, actual.sha256, m.stage).message,
      };
    } catch (err) {
      if (err instanceof NotFoundError)
        return { status: 'missing' as const, problem: `${f.uri} does not exist` };
      throw err;
    }
  });
  const problems = found.filter((x) => x !== undefined);
  const status = problems.some((p) => p.status === 'corrupted')
    ? 'corrupted'
    : problems.length > 0
      ? 'missing'
      : 'ok';
  return check(
    status,
    problems.map((p) => p.problem),
    m.files.length,
    m.bytes,
  );
}

/**
 * Removes the stage output under `key` and every output in the store computed from it
 * (directly or transitively, found through the `inputs` their manifests record), so each
 * is recomputed and republished by the next run that needs it. Each manifest goes first,
 * then its files: no manifest ever names a missing file. Returns the keys removed, the
 * given one first. Manifests that cannot be read are left alone (they fail on their own).
 */
export async function invalidateDownstream(store: ArtifactStore, key: string): Promise<string[]> {
  const manifestKeys = (await store.list('stages/')).filter((k) => k.endsWith(`/${MANIFEST_NAME}`));
  // Edges from each input's key to the outputs that read it.
  const readers = new Map<string, string[]>();
  const rootPrefix = `${store.rootUri}/`;
  await mapPool(manifestKeys, VERIFY_CONCURRENCY, async (mk) => {
    const outputKey = mk.slice(0, -MANIFEST_NAME.length - 1);
    let loaded;
    try {
      loaded = await loadManifest(store, outputKey);
    } catch (err) {
      if (err instanceof ArtifactCorruptedError) return;
      throw err;
    }
    if (loaded.state !== 'sealed') return;
    for (const input of loaded.manifest.inputs) {
      if (!input.uri.startsWith(rootPrefix)) continue;
      const inputKey = input.uri.slice(rootPrefix.length, -MANIFEST_NAME.length - 1);
      readers.set(inputKey, [...(readers.get(inputKey) ?? []), outputKey]);
    }
  });
  const order = [key];
  for (let i = 0; i < order.length; i++) {
    for (const next of readers.get(order[i]!) ?? []) if (!order.includes(next)) order.push(next);
  }
  for (const k of order) {
    await store.deletePrefix(joinKey(k, MANIFEST_NAME));
    await store.deletePrefix(`${k}/`);
  }
  return order;
}
