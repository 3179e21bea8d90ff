import { fileURLToPath } from 'node:url';
import type { ConnectionSettings } from '../config/env.ts';
import { LocalArtifactStore } from './local.ts';
import { S3ArtifactStore, parseS3Uri } from './s3.ts';
import type { ArtifactStore } from './types.ts';

export * from './types.ts';
export * from './manifest.ts';
export { sha256, sha256File, stableStringify } from './hash.ts';
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
