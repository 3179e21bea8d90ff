/**
 * One interface over S3 and the local filesystem. Keys are relative, `/`-separated paths
 * below the store's root (`s3://bucket/prefix` or `file:///dir`); every write of a single
 * object is atomic (S3 PUT / multipart complete, or write-to-temp + rename), and stage
 * outputs become visible only through a manifest written last (see manifest.ts).
 */
export interface ArtifactStore {
  /** `s3://bucket/prefix` or `file:///dir`, without trailing slash. */
  readonly rootUri: string;
  /** Full URI of a key, for manifests, logs and MLflow. */
  uriOf(key: string): string;
  /** Uploads a local file (multipart when large). Returns its size and sha256. */
  putFile(key: string, localPath: string, opts?: PutOptions): Promise<PutResult>;
  putBytes(key: string, body: Uint8Array | string, opts?: PutOptions): Promise<PutResult>;
  /**
   * Throws NotFoundError when the key does not exist. With `expected`, the bytes are
   * checked against it and a mismatch throws ArtifactCorruptedError.
   */
  getBytes(key: string, expected?: ExpectedContent): Promise<Uint8Array>;
  /**
   * Downloads to a local path atomically (temp file + rename). With `expected`, the bytes
   * are hashed as they stream to disk; a mismatch throws ArtifactCorruptedError and leaves
   * nothing at `localPath`.
   */
  getFile(key: string, localPath: string, expected?: ExpectedContent): Promise<void>;
  /** sha256 and size of an object, streamed (nothing is kept); for `augment verify`. */
  hashObject(key: string): Promise<{ sha256: string; bytes: number }>;
  exists(key: string): Promise<boolean>;
  /** Keys below a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deletes every key below a prefix; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
}

export interface PutOptions {
  contentType?: string;
  /** Aborting leaves no visible object behind. */
  signal?: AbortSignal;
  /** Called with bytes sent so far, for heartbeats on big uploads. */
  onProgress?: (bytesSent: number) => void;
  /**
   * `putFile` only: the file's sha256 when the caller hashed it while writing it (e.g.
   * `writeParquet`), so the file is not read an extra time just to hash it.
   */
  sha256?: string;
}

export interface PutResult {
  key: string;
  bytes: number;
  sha256: string;
}

/** A key that does not exist. Callers decide whether that is bad input or a cache miss. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(readonly uri: string) {
    super(`not found: ${uri}`);
  }
}

/** What a reader expects of an object: the hash (and size) its manifest records. */
export interface ExpectedContent {
  sha256: string;
  bytes?: number;
  /** The stage that produced it, named in the error. */
  producer?: string;
}

/**
 * Bytes read that differ from what their manifest records, or a manifest that is not what
 * its writer sealed. Never retryable: the stored copy is wrong and reading it again returns
 * the same bytes. `augment verify` finds every such object of a run; `augment resume
 * --recompute <stage>` republishes it.
 */
export class ArtifactCorruptedError extends Error {
  override readonly name = 'ArtifactCorrupted';
  constructor(
    readonly uri: string,
    readonly expected: string,
    readonly actual: string,
    readonly producer: string | undefined,
    /** What differs, when not the hash (e.g. `not valid JSON`). */
    readonly reason?: string,
  ) {
    super(
      `${uri} is corrupted${producer ? ` (produced by stage ${producer})` : ''}: ` +
        (reason ?? `expected sha256 ${expected}, read ${actual}`) +
        (producer ? `; repair it with: augment resume <workflowId> --recompute ${producer}` : ''),
    );
  }
}

/** Throws ArtifactCorruptedError unless `actual` matches `expected`. */
export function checkContent(
  uri: string,
  expected: ExpectedContent,
  actual: { sha256: string; bytes: number },
): void {
  if (actual.sha256 === expected.sha256 && (expected.bytes ?? actual.bytes) === actual.bytes)
    return;
  const reason =
    expected.bytes !== undefined && expected.bytes !== actual.bytes
      ? `expected ${expected.bytes} bytes with sha256 ${expected.sha256}, read ${actual.bytes} bytes with sha256 ${actual.sha256}`
      : undefined;
  throw new ArtifactCorruptedError(uri, expected.sha256, actual.sha256, expected.producer, reason);
}

/** A key that would escape its root or is malformed. Never retryable. */
export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid artifact key ${JSON.stringify(key)}: ${reason}`);
  }
}

/**
 * Rejects keys that are absolute, contain `..`/`.`/empty segments, backslashes or control
 * characters, so no config value can make a stage write outside its run prefix.
 */
export function checkKey(key: string): string {
  if (key.length === 0 || key.length > 900)
    throw new InvalidKeyError(key, 'expected 1..900 characters');
  if (key.startsWith('/')) throw new InvalidKeyError(key, 'expected a relative key');
  if (/[\\\u0000-\u001f\u007f]/.test(key))
    throw new InvalidKeyError(key, 'backslash or control character');
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') {
      throw new InvalidKeyError(key, `segment ${JSON.stringify(seg)} is not allowed`);
    }
  }
  return key;
}

/** Joins key segments with `/`, checking the result. */
export function joinKey(...parts: string[]): string {
  return checkKey(parts.filter((p) => p !== '').join('/'));
}
