import { z } from 'zod';
import { mapPool } from '../async/pool.ts';
import { sha256, stableStringify } from './hash.ts';
import { ArtifactCorruptedError, NotFoundError, joinKey } from './types.ts';
import type { ArtifactStore, ExpectedContent, PutOptions } from './types.ts';

/**
 * Stage outputs are published data-first, manifest-last. Readers trust only manifests, so
 * a stage that crashed half-way through its uploads is simply not done, and its next
 * attempt overwrites the orphans under the same content-addressed key.
 */

export const MANIFEST_NAME = 'manifest.json';

/**
 * Output files uploaded at once by `publishStage`: two, so a big file and the small ones
 * beside it overlap, while at most two files up to the S3 store's in-memory limit are held.
 */
const PUBLISH_CONCURRENCY = 2;

const fileSchema = z.object({
  name: z.string(),
  uri: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  rows: z.number().optional(),
  /** Column name -> type, for tabular files. */
  schema: z.record(z.string(), z.string()).optional(),
});

/**
 * The manifest format. Version 2 manifests carry `manifestSha256`; a version 1 manifest
 * (unsealed, so an edit to it cannot be told apart) is never trusted: it reads as "not
 * done", and the stage runs again and overwrites it with a sealed one.
 */
const MANIFEST_VERSION = 2;

export const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  stage: z.string(),
  key: z.string(),
  kind: z.string(),
  /** The stage's code identity (see lib/code-identity). */
  code: z.string(),
  configHash: z.string(),
  inputs: z.array(z.object({ name: z.string(), uri: z.string(), sha256: z.string() })),
  files: z.array(fileSchema),
  /** Sum of the files' rows. */
  rows: z.number(),
  bytes: z.number(),
  /** Hash over the files' names and hashes: the stage output's identity for downstream keys. */
  sha256: z.string(),
  stats: z.record(z.string(), z.unknown()),
  created: z.string(),
  seconds: z.number(),
  /**
   * sha256 of the manifest's own content: `stableStringify` of every other field, as the
   * JSON reads back. Catches a truncated or edited manifest.
   */
  manifestSha256: z.string(),
});

export type StageManifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;

/** What determines a stage's output; equal identities share one cached output. */
export interface StageIdentity {
  stage: string;
  /** The stage's own config section (plus the seed, where it matters). */
  config: unknown;
  /** Input artifacts by role, each identified by its manifest hash. */
  inputs: Record<string, string>;
  /**
   * The stage's code identity: a hash of the source files its activity reaches (and the
   * packages they use), plus an optional hand-kept salt. Derived, never bumped by hand.
   */
  code: string;
}

export function configHash(config: unknown): string {
  return sha256(stableStringify(config)).slice(0, 16);
}

/**
 * Content-addressed key prefix of a stage output: `stages/<stage>/<hash>`, where the hash
 * covers stage name, config, input hashes and code identity.
 */
export function stageKey(id: StageIdentity): string {
  const h = sha256(stableStringify({ ...id, config: configHash(id.config) })).slice(0, 24);
  return joinKey('stages', id.stage, h);
}

/** The manifest of a finished stage output, or undefined when it is not (yet) done. */
export async function readManifest(
  store: ArtifactStore,
  key: string,
): Promise<StageManifest | undefined> {
  const loaded = await loadManifest(store, key);
  return loaded.state === 'sealed' ? loaded.manifest : undefined;
}

export type LoadedManifest =
  | { state: 'missing' }
  /** A version 1 manifest: unsealed, so treated as not done. */
  | { state: 'legacy' }
  | { state: 'sealed'; manifest: StageManifest };

/**
 * Reads and validates the manifest under `key`: JSON, its own hash, the schema and the key
 * it names. A manifest that fails any of these throws ArtifactCorruptedError (never
 * retried: reading it again returns the same bytes).
 */
export async function loadManifest(store: ArtifactStore, key: string): Promise<LoadedManifest> {
  const uri = store.uriOf(joinKey(key, MANIFEST_NAME));
  let bytes: Uint8Array;
  try {
    bytes = await store.getBytes(joinKey(key, MANIFEST_NAME));
  } catch (err) {
    if (err instanceof NotFoundError) return { state: 'missing' };
    throw err;
  }
  const corrupted = (reason: string, producer?: string) =>
    new ArtifactCorruptedError(uri, '', '', producer, reason);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw corrupted(`not valid JSON (${bytes.length} bytes; truncated or edited)`, stageOf(key));
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw corrupted('not a JSON object', stageOf(key));
  const { manifestSha256: sealed, ...body } = raw as Record<string, unknown>;
  if (body.version === 1) return { state: 'legacy' };
  const producer = typeof body.stage === 'string' ? body.stage : stageOf(key);
  if (typeof sealed !== 'string') throw corrupted('no manifestSha256', producer);
  const actual = manifestHash(body);
  if (actual !== sealed) {
    throw new ArtifactCorruptedError(
      uri,
      sealed,
      actual,
      producer,
      `its content does not match its manifestSha256 (recorded ${sealed}, computed ${actual}): truncated or edited`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success)
    throw corrupted(
      `not a version ${MANIFEST_VERSION} manifest: ${parsed.error.message}`,
      producer,
    );
  if (parsed.data.key !== key)
    throw corrupted(`it names key ${parsed.data.key}, not its own ${key}`, producer);
  return { state: 'sealed', manifest: parsed.data };
}

/** The stage name in a `stages/<stage>/<hash>` key, for errors about an unreadable manifest. */
function stageOf(key: string): string | undefined {
  return /(?:^|\/)stages\/([^/]+)\/[^/]+$/.exec(key)?.[1];
}

/** The seal of a manifest: sha256 over its fields (all but the seal) in canonical JSON. */
function manifestHash(body: Record<string, unknown>): string {
  return sha256(stableStringify(body));
}

/** A file of a stage output, by name. */
export function outputFile(m: StageManifest, name: string): ManifestFile {
  const f = m.files.find((x) => x.name === name);
  if (!f) throw new NotFoundError(`${m.key}/${name} (not in the manifest of ${m.stage})`);
  return f;
}

/** What the manifest records of one of its files, for a verified read. */
export function expectedContent(m: StageManifest, name: string): ExpectedContent {
  const f = outputFile(m, name);
  return { sha256: f.sha256, bytes: f.bytes, producer: m.stage };
}

/** Downloads a stage output file, verified against its manifest while it streams. */
export function readOutputFile(
  store: ArtifactStore,
  m: StageManifest,
  name: string,
  localPath: string,
): Promise<void> {
  return store.getFile(joinKey(m.key, name), localPath, expectedContent(m, name));
}

/** A (small) stage output file in memory, verified against its manifest. */
export function readOutputBytes(
  store: ArtifactStore,
  m: StageManifest,
  name: string,
): Promise<Uint8Array> {
  return store.getBytes(joinKey(m.key, name), expectedContent(m, name));
}

export interface OutputFile {
  /** File name below the stage key, e.g. `train.parquet`. */
  name: string;
  /** Local path of the finished file. */
  path: string;
  rows?: number;
  schema?: Record<string, string>;
  /** Its sha256 when the writer computed it (`writeParquet` does); else it is read to hash it. */
  sha256?: string;
}

export interface PublishInput {
  identity: StageIdentity;
  kind: string;
  files: OutputFile[];
  inputs?: { name: string; uri: string; sha256: string }[];
  stats?: Record<string, unknown>;
  seconds: number;
  signal?: AbortSignal;
  onProgress?: PutOptions['onProgress'];
}

/**
 * Uploads every output file, then the manifest. Returns the manifest; the stage is done
 * exactly when the manifest PUT has succeeded.
 */
export async function publishStage(store: ArtifactStore, p: PublishInput): Promise<StageManifest> {
  const key = stageKey(p.identity);
  // Uploads overlap (see PUBLISH_CONCURRENCY) instead of each waiting for the round trips
  // of the one before. The manifest lists the files in the order given.
  const sent = new Array<number>(p.files.length).fill(0);
  const files: ManifestFile[] = await mapPool(
    p.files,
    PUBLISH_CONCURRENCY,
    async (f, k) => {
      const put = await store.putFile(joinKey(key, f.name), f.path, {
        signal: p.signal,
        sha256: f.sha256,
        onProgress: (b) => {
          sent[k] = b;
          p.onProgress?.(sent.reduce((a, x) => a + x, 0));
        },
      });
      return {
        name: f.name,
        uri: store.uriOf(put.key),
        bytes: put.bytes,
        sha256: put.sha256,
        rows: f.rows,
        schema: f.schema,
      };
    },
    p.signal,
  );
  const body = {
    version: MANIFEST_VERSION,
    stage: p.identity.stage,
    key,
    kind: p.kind,
    code: p.identity.code,
    configHash: configHash(p.identity.config),
    inputs: p.inputs ?? [],
    files,
    rows: files.reduce((s, f) => s + (f.rows ?? 0), 0),
    bytes: files.reduce((s, f) => s + f.bytes, 0),
    sha256: sha256(stableStringify(files.map((f) => [f.name, f.sha256]))),
    stats: p.stats ?? {},
    created: new Date().toISOString(),
    seconds: p.seconds,
  };
  // Sealed as it will read back: JSON turns undefined, NaN and Infinity into what readers see.
  const plain = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  const manifest = { ...plain, manifestSha256: manifestHash(plain) } as StageManifest;
  p.signal?.throwIfAborted();
  await store.putBytes(joinKey(key, MANIFEST_NAME), JSON.stringify(manifest, null, 2), {
    contentType: 'application/json',
    signal: p.signal,
  });
  return manifest;
}
