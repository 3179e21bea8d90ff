import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { fileHash, hashingTap, readFileHashed, readWhole, sha256, sha256Stream } from './hash.ts';
import { NotFoundError, checkContent, checkKey } from './types.ts';
import type { ArtifactStore, ExpectedContent, PutOptions, PutResult } from './types.ts';

/** Files up to this size are uploaded from memory (see `fileBody`). */
const IN_MEMORY_MAX = 128 * 1024 * 1024;

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix below the bucket, without leading or trailing slash ('' for none). */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Attempts per request, transient errors retried by the SDK with backoff. @default 6 */
  maxAttempts?: number;
  /** Files above this size go up in parts. @default 16 MiB */
  multipartThreshold?: number;
  /** Part size for multipart uploads. @default 8 MiB */
  partSize?: number;
  /** Explicit credentials; otherwise the standard AWS credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Artifact store on any S3-compatible server. Single PUTs and completed multipart uploads
 * are atomic in S3; an aborted multipart upload is cleaned up and never visible.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly rootUri: string;
  readonly client: S3Client;
  private readonly threshold: number;
  private readonly partSize: number;

  constructor(readonly opts: S3StoreOptions) {
    this.rootUri = `s3://${opts.bucket}${opts.prefix ? `/${opts.prefix}` : ''}`;
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      maxAttempts: opts.maxAttempts ?? 6,
      retryMode: 'standard',
      credentials: opts.credentials,
    });
    this.threshold = opts.multipartThreshold ?? 16 * 1024 * 1024;
    this.partSize = opts.partSize ?? 8 * 1024 * 1024;
  }

  uriOf(key: string): string {
    return `${this.rootUri}/${checkKey(key)}`;
  }

  private objectKey(key: string): string {
    const k = checkKey(key);
    return this.opts.prefix ? `${this.opts.prefix}/${k}` : k;
  }

  async putFile(key: string, localPath: string, opts: PutOptions = {}): Promise<PutResult> {
    const { bytes, sha256: hash, body } = await this.fileBody(localPath, opts.sha256);
    const Key = this.objectKey(key);
    if (bytes < this.threshold) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key,
          Body: body(),
          ContentLength: bytes,
          ContentType: opts.contentType,
        }),
        { abortSignal: opts.signal },
      );
      opts.onProgress?.(bytes);
    } else {
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.opts.bucket,
          Key,
          Body: body(),
          ContentType: opts.contentType,
        },
        partSize: this.partSize,
        queueSize: 4,
        // An upload that fails or is aborted is removed, so no partial object lingers.
        leavePartsOnError: false,
      });
      upload.on('httpUploadProgress', (p) => opts.onProgress?.(p.loaded ?? 0));
      const abort = () => void upload.abort();
      opts.signal?.addEventListener('abort', abort, { once: true });
      try {
        opts.signal?.throwIfAborted();
        await upload.done();
      } finally {
        opts.signal?.removeEventListener('abort', abort);
      }
    }
    return { key, bytes, sha256: hash };
  }

  /**
   * A file's size, sha256 and upload body. Files up to IN_MEMORY_MAX are read once: hashed
   * from the same bytes (unless the writer already hashed them) and sent as one buffer,
   * which the uploader slices into parts without copying (a stream body is re-chunked and
   * concatenated, and that garbage cost more GC than the upload itself). Bigger files are
   * hashed, then streamed, so memory stays bounded.
   */
  private async fileBody(
    localPath: string,
    known: string | undefined,
  ): Promise<{ bytes: number; sha256: string; body: () => Buffer | Readable }> {
    if ((await stat(localPath)).size > IN_MEMORY_MAX) {
      const h = await fileHash(localPath, known);
      return { ...h, body: () => createReadStream(localPath) };
    }
    const read =
      known === undefined
        ? await readFileHashed(localPath)
        : { bytes: await readWhole(localPath), sha256: known };
    return { bytes: read.bytes.length, sha256: read.sha256, body: () => read.bytes };
  }

  async putBytes(
    key: string,
    body: Uint8Array | string,
    opts: PutOptions = {},
  ): Promise<PutResult> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.opts.bucket,
        Key: this.objectKey(key),
        Body: body,
        ContentType: opts.contentType,
      }),
      { abortSignal: opts.signal },
    );
    const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    opts.onProgress?.(bytes);
    return { key, bytes, sha256: sha256(body) };
  }

  async getBytes(key: string, expected?: ExpectedContent): Promise<Uint8Array> {
    const res = await this.get(key);
    const bytes = await res.Body!.transformToByteArray();
    if (res.ContentLength !== undefined && bytes.length !== res.ContentLength)
      throw new Error(`short read of ${this.uriOf(key)}: expected ${res.ContentLength} bytes`);
    if (expected)
      checkContent(this.uriOf(key), expected, { sha256: sha256(bytes), bytes: bytes.length });
    return bytes;
  }

  async getFile(key: string, localPath: string, expected?: ExpectedContent): Promise<void> {
    const res = await this.get(key);
    await mkdir(dirname(localPath), { recursive: true });
    const tmp = `${localPath}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      // Hashed on the way to disk: verifying costs no second pass over the file.
      const { tap, digest } = hashingTap();
      if (expected) await pipeline(res.Body as Readable, tap, createWriteStream(tmp));
      else await pipeline(res.Body as Readable, createWriteStream(tmp));
      // A short read is a transient fault (retried), not corruption: checked first.
      const length = res.ContentLength;
      if (length !== undefined && (await stat(tmp)).size !== length) {
        throw new Error(`short read of ${this.uriOf(key)}: expected ${length} bytes`);
      }
      if (expected) checkContent(this.uriOf(key), expected, digest());
      await rename(tmp, localPath);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async hashObject(key: string): Promise<{ sha256: string; bytes: number }> {
    const res = await this.get(key);
    return sha256Stream(res.Body as Readable);
  }

  private async get(key: string) {
    try {
      return await this.client.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.objectKey(key) }),
      );
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(this.uriOf(key));
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.opts.bucket, Key: this.objectKey(key) }),
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.opts.prefix ? `${this.opts.prefix}/` : '';
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.opts.bucket,
          Prefix: base + prefix,
          ContinuationToken: token,
        }),
      );
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(base.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.opts.bucket,
          Delete: {
            Objects: keys.slice(i, i + 1000).map((k) => ({ Key: this.objectKey(k) })),
            Quiet: true,
          },
        }),
      );
    }
    return keys.length;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** Splits `s3://bucket/prefix/` into bucket and prefix (no slashes at the ends). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, '') };
}
