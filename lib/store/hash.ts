import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';

/** sha256 of bytes or a string, hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a file, streamed (big artifacts never sit in memory twice). */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  return sha256Stream(createReadStream(path, { highWaterMark: 1 << 20 }));
}

/**
 * A pass-through stream that hashes what flows through it, for verifying a download on its
 * way to disk: the bytes are hashed once, as they arrive, with no second read of the file.
 * `digest()` is valid once the stream has ended.
 */
export function hashingTap(): { tap: Transform; digest: () => { sha256: string; bytes: number } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  let result: { sha256: string; bytes: number } | undefined;
  return { tap, digest: () => (result ??= { sha256: hash.digest('hex'), bytes }) };
}

/** sha256 and size of everything a stream yields (the bytes are not kept). */
export async function sha256Stream(source: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A file's size and sha256: `known` (hashed by its writer) as given, else by reading it. */
export async function fileHash(
  path: string,
  known: string | undefined,
): Promise<{ sha256: string; bytes: number }> {
  if (known === undefined) return sha256File(path);
  return { sha256: known, bytes: (await stat(path)).size };
}

/** Read size of `readFileHashed`: large enough that per-read overhead does not matter. */
const READ_CHUNK = 16 << 20;

/**
 * A whole file in memory and its sha256, in one pass: each chunk is hashed while the next
 * one is being read (on the thread pool), so this costs about what the read alone costs.
 * For a source that is fingerprinted and then parsed, or a file hashed and then uploaded:
 * the bytes hashed are the bytes used, read once. The size is taken when the file is opened.
 */
export async function readFileHashed(path: string): Promise<{ bytes: Buffer; sha256: string }> {
  const hash = createHash('sha256');
  const bytes = await readWhole(path, (chunk) => hash.update(chunk));
  return { bytes, sha256: hash.digest('hex') };
}

/** A whole file in 16 MB reads, `onChunk` seeing each chunk while the next is read. */
export async function readWhole(path: string, onChunk?: (chunk: Buffer) => void): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const bytes = Buffer.allocUnsafe(size);
    const readAt = (pos: number) =>
      fh.read(bytes, pos, Math.min(READ_CHUNK, size - pos), pos).then((r) => r.bytesRead);
    let pos = 0;
    let pending = size > 0 ? readAt(0) : Promise.resolve(0);
    for (;;) {
      const got = await pending;
      if (got === 0) break; // the file shrank since it was opened
      const start = pos;
      pos += got;
      pending = pos < size ? readAt(pos) : Promise.resolve(0);
      onChunk?.(bytes.subarray(start, pos));
    }
    return pos === size ? bytes : bytes.subarray(0, pos);
  } finally {
    await fh.close();
  }
}

/**
 * JSON with object keys sorted at every level, so equal configs hash equally whatever
 * order their keys were written in. `undefined` fields are dropped, as in JSON.
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}
