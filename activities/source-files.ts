import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { ConnectionSettings } from '../lib/config/env.ts';
import { DataValidationError } from '../lib/data/index.ts';
import type { SourceFiles } from '../lib/data/index.ts';
import { NotFoundError, S3ArtifactStore, parseS3Uri, sha256File } from '../lib/store/index.ts';

/**
 * Opens a source location - a local file or folder, or an `s3://` key or prefix - as
 * SourceFiles, and fingerprints it for the ingest cache key.
 */
export async function openSource(
  location: string,
  s3: ConnectionSettings['s3'],
): Promise<{ files: SourceFiles; fingerprint: string }> {
  if (location.startsWith('s3://')) return openS3(location, s3);
  let info;
  try {
    info = await stat(location);
  } catch {
    throw new DataValidationError({ file: location, expected: 'an existing file or folder' });
  }
  if (info.isDirectory()) {
    const names = (await readdir(location, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
    const hashes = await Promise.all(
      names.map(async (n) => `${n}:${(await sha256File(join(location, n))).sha256}`),
    );
    return {
      files: {
        list: async () => names,
        read: async (name) => ({
          bytes: await readFile(join(location, name)),
          label: join(location, name),
        }),
      },
      fingerprint: hashes.join(','),
    };
  }
  return {
    files: {
      list: async () => [],
      read: async () => ({ bytes: await readFile(location), label: location }),
    },
    fingerprint: `${basename(location)}:${(await sha256File(location)).sha256}`,
  };
}

async function openS3(
  uri: string,
  s3: ConnectionSettings['s3'],
): Promise<{ files: SourceFiles; fingerprint: string }> {
  const { bucket, prefix } = parseS3Uri(uri);
  const whole = new S3ArtifactStore({ bucket, prefix: '', ...s3 });
  // A key that exists is one file; otherwise the URI is a folder-like prefix.
  if (prefix && (await whole.exists(prefix))) {
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
  const names = (await dir.list('')).filter((k) => !k.includes('/'));
  if (names.length === 0)
    throw new DataValidationError({ file: uri, expected: 'an S3 object or a prefix with objects' });
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
