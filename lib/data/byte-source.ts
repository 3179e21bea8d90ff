/**
 * Feeds a local file to a chunked parser: plain files in 16 MB reads, gzip files (found by
 * their magic bytes, not their name) through a streaming gunzip. Memory stays bounded by
 * the chunk size plus the longest record, whatever the file size, and every read yields to
 * the event loop so heartbeats and cancellation get through.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { DataValidationError } from './errors.ts';

/** A parser that consumes complete records and reports how many bytes it used. */
export interface ChunkSink {
  feed(bytes: Uint8Array, end: number, final: boolean): number;
  /** Where parsing stands, for "truncated at line N" messages. */
  readonly currentLine: number;
}

const CHUNK = 16 << 20;

/** True when the bytes start like a gzip member. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Streams the file at `path` (plain or gzip) into `sink`. Returns the file's size. */
export async function feedFile(path: string, label: string, sink: ChunkSink): Promise<number> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new DataValidationError({
      file: label,
      problem: `the file cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      expected: 'an existing, readable file',
    });
  }
  try {
    const size = (await fh.stat()).size;
    const magic = new Uint8Array(2);
    await fh.read(magic, 0, 2, 0);
    if (isGzip(magic)) {
      await fh.close();
      fh = undefined;
      await feedGzip(path, label, sink);
      return size;
    }
    let buf = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
    let filled = 0;
    let pos = 0;
    for (;;) {
      if (filled === buf.length) {
        // One record longer than the buffer: grow it.
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, pos);
      pos += bytesRead;
      filled += bytesRead;
      const final = bytesRead === 0 || pos >= size;
      // With final = true the sink consumes everything (or throws).
      const used = sink.feed(buf, filled, final);
      if (final) return size;
      buf.copyWithin(0, used, filled);
      filled -= used;
    }
  } finally {
    await fh?.close();
  }
}

async function feedGzip(path: string, label: string, sink: ChunkSink): Promise<void> {
  let buf = new Uint8Array(CHUNK);
  let filled = 0;
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (filled + chunk.length > buf.length) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, filled + chunk.length));
        bigger.set(buf.subarray(0, filled));
        buf = bigger;
      }
      buf.set(chunk, filled);
      filled += chunk.length;
      if (filled >= buf.length >> 1) {
        const used = sink.feed(buf, filled, false);
        buf.copyWithin(0, used, filled);
        filled -= used;
      }
    }
  } catch (err) {
    if (err instanceof DataValidationError) throw err;
    // Parse what did arrive (bad rows in it are reported first), then say where it ended.
    sink.feed(buf, filled, false);
    throw truncated(label, sink.currentLine, err as Error);
  }
  sink.feed(buf, filled, true);
}

/** Feeds in-memory bytes (plain or gzip) to `sink` in one go. */
export function feedBytes(bytes: Uint8Array, label: string, sink: ChunkSink): void {
  let data = bytes;
  if (isGzip(bytes)) {
    try {
      data = gunzipSync(bytes);
    } catch (err) {
      throw truncated(label, undefined, err as Error);
    }
  }
  sink.feed(data, data.length, true);
}

function truncated(label: string, line: number | undefined, err: Error): DataValidationError {
  return new DataValidationError({
    file: label,
    line,
    problem: `the gzip data is truncated or corrupt (${err.message})${line ? '; decompression stopped in this line' : ''}`,
    expected: 'a complete gzip file',
  });
}
