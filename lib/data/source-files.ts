import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { ConnectionSettings } from '../config/env.ts';
import { DataValidationError } from './errors.ts';
import type { SourceFiles } from './ingest-files.ts';
import { isPart, localListing, splitGlob } from './local-files.ts';
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
  if (location.startsWith('s3://')) {
    const glob = splitGlob(location);
    return openS3(glob.dir, s3, glob.pattern, location);
  }
  const listing = await localListing(location);
  if ('dir' in listing) return localFolder(listing.dir, listing.names, keep?.(listing.names));
  const { bytes, sha256 } = await readFileHashed(location);
  const kept = new Map([['', bytes]]);
  return {
    files: {
      list: async () => [],
      read: async () => ({ data: await readKept(kept, '', location), label: location }),
    },
    fingerprint: `${basename(location)}:${sha256}`,
  };
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
        data: await readKept(kept, name, join(dir, name)),
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
        read: async () => ({ data: await whole.getBytes(prefix), label: uri }),
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
          return { data: await dir.getBytes(name), label: `${uri.replace(/\/$/, '')}/${name}` };
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

/** The bytes kept from hashing `name`, once (then they are the reader's to drop), or a read. */
async function readKept(kept: Map<string, Buffer>, name: string, path: string): Promise<Buffer> {
  const bytes = kept.get(name);
  kept.delete(name);
  return bytes ?? readFile(path);
}
