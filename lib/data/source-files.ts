import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { ConnectionSettings } from '../config/env.ts';
import { DataValidationError } from './errors.ts';
import type { SourceFiles } from './ingest-files.ts';
import {
  NotFoundError,
  S3ArtifactStore,
  parseS3Uri,
  readFileHashed,
  sha256File,
} from '../store/index.ts';

/**
 * Opens a source location - a local file or folder, an `s3://` key or prefix, or either
 * with a `*` pattern in its last segment (`s3://logs/2026-11-28/part-*.csv.gz`) - as
 * SourceFiles, and fingerprints it for the ingest cache key.
 *
 * Local files are hashed by reading them. `keep` names the one file of a folder the
 * caller will read first (a single file is always kept): its bytes stay from the hashing
 * pass and are handed over by its first `read`, so it is read once, not twice, and no
 * more is held than that read would hold anyway. Other files are streamed and read again.
 */
export async function openSource(
  location: string,
  s3: ConnectionSettings['s3'],
  keep?: (names: string[]) => string | undefined,
): Promise<{ files: SourceFiles; fingerprint: string }> {
  const glob = splitGlob(location);
  if (location.startsWith('s3://')) return openS3(glob.dir, s3, glob.pattern, location);
  if (glob.pattern) {
    const names = (await localFiles(glob.dir)).filter((n) => glob.pattern!.test(n));
    if (names.length === 0)
      throw new DataValidationError({ file: location, expected: 'at least one file matching it' });
    return localFolder(glob.dir, names, keep?.(names));
  }
  let info;
  try {
    info = await stat(location);
  } catch {
    throw new DataValidationError({ file: location, expected: 'an existing file or folder' });
  }
  if (info.isDirectory()) {
    const names = await localFiles(location);
    return localFolder(location, names, keep?.(names));
  }
  const { bytes, sha256 } = await readFileHashed(location);
  const kept = new Map([['', bytes]]);
  return {
    files: {
      list: async () => [],
      read: async () => ({ bytes: await readKept(kept, '', location), label: location }),
    },
    fingerprint: `${basename(location)}:${sha256}`,
  };
}

/** The bytes kept from hashing `name`, once (then they are the reader's to drop), or a read. */
async function readKept(kept: Map<string, Buffer>, name: string, path: string): Promise<Buffer> {
  const bytes = kept.get(name);
  kept.delete(name);
  return bytes ?? readFile(path);
}

/**
 * `dir/part-*.csv` -> the folder and a pattern for its last segment (`*`: any run of
 * characters; `?` cannot be one, it starts a source's options); no `*` -> the location
 * itself and no pattern.
 */
export function splitGlob(location: string): { dir: string; pattern?: RegExp } {
  const cut = location.lastIndexOf('/');
  const last = location.slice(cut + 1);
  if (!last.includes('*')) return { dir: location };
  const source = last.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return { dir: location.slice(0, cut + 1), pattern: new RegExp(`^${source}$`) };
}

/** Part files of a folder: hidden files and markers such as `_SUCCESS` never count. */
function isPart(name: string): boolean {
  return !name.startsWith('.') && !name.startsWith('_');
}

async function localFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && isPart(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    throw new DataValidationError({ file: dir, expected: 'an existing folder' });
  }
}

async function localFolder(
  dir: string,
  names: string[],
  keep: string | undefined,
): Promise<{ files: SourceFiles; fingerprint: string }> {
  const kept = new Map<string, Buffer>();
  const hashes = await Promise.all(
    names.map(async (n) => {
      if (n !== keep) return `${n}:${(await sha256File(join(dir, n))).sha256}`;
      const { bytes, sha256 } = await readFileHashed(join(dir, n));
      kept.set(n, bytes);
      return `${n}:${sha256}`;
    }),
  );
  return {
    files: {
      list: async () => names,
      read: async (name) => ({
        bytes: await readKept(kept, name, join(dir, name)),
        label: join(dir, name),
      }),
    },
    fingerprint: hashes.join(','),
  };
}

async function openS3(
  uri: string,
  s3: ConnectionSettings['s3'],
  pattern: RegExp | undefined,
  label: string,
): Promise<{ files: SourceFiles; fingerprint: string }> {
  const { bucket, prefix } = parseS3Uri(uri);
  const whole = new S3ArtifactStore({ bucket, prefix: '', ...s3 });
  // A key that exists is one file; otherwise the URI is a folder-like prefix.
  if (!pattern && prefix && (await whole.exists(prefix))) {
    const head = await headFingerprint(whole, prefix);
    return {
      files: {
        list: async () => [],
        read: async () => ({ bytes: await whole.getBytes(prefix), label: uri }),
      },
      fingerprint: head,
    };
  }
  const dir = new S3ArtifactStore({ bucket, prefix, ...s3 });
  const names = (await dir.list(''))
    .filter((k) => !k.includes('/') && isPart(k) && (!pattern || pattern.test(k)))
    .sort();
  if (names.length === 0)
    throw new DataValidationError({
      file: label,
      expected: pattern
        ? 'at least one object matching it'
        : 'an S3 object or a prefix with objects',
    });
  const prints = await Promise.all(names.map((n) => headFingerprint(dir, n)));
  return {
    files: {
      list: async () => names,
      read: async (name) => {
        try {
          return { bytes: await dir.getBytes(name), label: `${uri.replace(/\/$/, '')}/${name}` };
        } catch (err) {
          if (err instanceof NotFoundError)
            throw new DataValidationError({ file: err.uri, expected: 'an existing object' });
          throw err;
        }
      },
    },
    fingerprint: prints.join(','),
  };
}

async function headFingerprint(store: S3ArtifactStore, key: string): Promise<string> {
  const objectKey = store.opts.prefix ? `${store.opts.prefix}/${key}` : key;
  const h = await store.client.send(
    new HeadObjectCommand({ Bucket: store.opts.bucket, Key: objectKey }),
  );
  return `${key}:${h.ETag}:${h.ContentLength}:${h.LastModified?.toISOString()}`;
}
