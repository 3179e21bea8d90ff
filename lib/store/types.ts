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
  /** Throws NotFoundError when the key does not exist. */
  getBytes(key: string): Promise<Uint8Array>;
  /** Downloads to a local path atomically (temp file + rename). */
  getFile(key: string, localPath: string): Promise<void>;
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
