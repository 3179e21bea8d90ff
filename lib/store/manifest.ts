import { z } from 'zod';
import { mapPool } from '../async/pool.ts';
import { sha256, stableStringify } from './hash.ts';
import { NotFoundError, joinKey } from './types.ts';
import type { ArtifactStore, PutOptions } from './types.ts';

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

export const manifestSchema = z.object({
  version: z.literal(1),
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
  let bytes: Uint8Array;
  try {
    bytes = await store.getBytes(joinKey(key, MANIFEST_NAME));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  const parsed = manifestSchema.safeParse(JSON.parse(Buffer.from(bytes).toString('utf8')));
  // A manifest from an incompatible version is treated as "not done": the stage reruns.
  return parsed.success ? parsed.data : undefined;
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
  const manifest: StageManifest = {
    version: 1,
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
  p.signal?.throwIfAborted();
  await store.putBytes(joinKey(key, MANIFEST_NAME), JSON.stringify(manifest, null, 2), {
    contentType: 'application/json',
    signal: p.signal,
  });
  return manifest;
}
