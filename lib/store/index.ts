import { fileURLToPath } from 'node:url';
import type { ConnectionSettings } from '../config/env.ts';
import { LocalArtifactStore } from './local.ts';
import { S3ArtifactStore, parseS3Uri } from './s3.ts';
import { MANIFEST_NAME, readManifest, readOutputBytes } from './manifest.ts';
import type { ArtifactStore } from './types.ts';

export * from './types.ts';
export * from './manifest.ts';
export * from './repair.ts';
export {
  hashingTap,
  readFileHashed,
  sha256,
  sha256File,
  sha256Stream,
  stableStringify,
} from './hash.ts';
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

/**
 * Reads one object by its full URI (as stage outputs name them), e.g. for the CLI. A stage
 * output file (a sealed manifest beside it lists it) is verified against its manifest.
 */
export async function readArtifactUri(
  uri: string,
  s3: ConnectionSettings['s3'],
): Promise<Uint8Array> {
  const cut = uri.lastIndexOf('/');
  if (cut < 0 || cut === uri.length - 1) throw new Error(`not an object URI: ${uri}`);
  const name = uri.slice(cut + 1);
  // `<root>/stages/<stage>/<hash>/<name>`: a stage output, whose manifest lists it.
  const m = /^(.+?)\/(stages\/[^/]+\/[^/]+)$/.exec(uri.slice(0, cut));
  if (!m || name === MANIFEST_NAME) return createStore(uri.slice(0, cut), s3).getBytes(name);
  const [, root, key] = m as unknown as [string, string, string];
  const store = createStore(root, s3);
  const manifest = await readManifest(store, key);
  const listed = manifest?.files.some((f) => f.name === name);
  return listed ? readOutputBytes(store, manifest!, name) : store.getBytes(`${key}/${name}`);
}
