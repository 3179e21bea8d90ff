import { fileURLToPath } from 'node:url';
import type { ConnectionSettings } from '../config/env.ts';
import { LocalArtifactStore } from './local.ts';
import { S3ArtifactStore, parseS3Uri } from './s3.ts';
import type { ArtifactStore } from './types.ts';

export * from './types.ts';
export * from './manifest.ts';
export { readFileHashed, sha256, sha256File, stableStringify } from './hash.ts';
export { LocalArtifactStore } from './local.ts';
export { S3ArtifactStore, parseS3Uri } from './s3.ts';

/**
 * The one way to get a store: from an `s3://bucket/prefix` or `file:///dir` URI and the
 * connection settings (endpoint, region; credentials come from the AWS chain).
 */
export function createStore(uri: string, s3: ConnectionSettings['s3']): ArtifactStore {
  if (uri.startsWith('file://')) return new LocalArtifactStore(fileURLToPath(uri));
  if (uri.startsWith('s3://')) {
    const { bucket, prefix } = parseS3Uri(uri);
    return new S3ArtifactStore({ bucket, prefix, ...s3 });
  }
  throw new Error(
    `unsupported artifact URI ${JSON.stringify(uri)}: expected s3://bucket/prefix or file:///dir`,
  );
}

/** Reads one object by its full URI (as stage outputs name them), e.g. for the CLI. */
export function readArtifactUri(uri: string, s3: ConnectionSettings['s3']): Promise<Uint8Array> {
  const cut = uri.lastIndexOf('/');
  if (cut < 0 || cut === uri.length - 1) throw new Error(`not an object URI: ${uri}`);
  return createStore(uri.slice(0, cut), s3).getBytes(uri.slice(cut + 1));
}
