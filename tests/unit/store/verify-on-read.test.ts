import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ArtifactCorruptedError,
  LocalArtifactStore,
  hashingTap,
  invalidateDownstream,
  loadManifest,
  publishStage,
  readManifest,
  readOutputBytes,
  readArtifactUri,
  readOutputFile,
  sha256,
  sha256Stream,
  stageKey,
  verifyStageOutput,
} from '../../../lib/store/index.ts';
import type { StageIdentity, StageManifest } from '../../../lib/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir();

/** `bytes` as a stream of chunks of the given sizes (cycled). */
function chunked(bytes: Buffer, sizes: number[]): Readable {
  const parts: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts);
}

const discard = () =>
  new Writable({
    write(_c, _e, done) {
      done();
    },
  });

describe('hashing while streaming', () => {
  const data = randomBytes(1_000_003);
  const want = createHash('sha256').update(data).digest('hex');

  it('hashes exactly the bytes that pass, whatever the chunking', async () => {
    for (const sizes of [[1], [7, 65536], [1_000_003], [4096, 1, 333]]) {
      const small = sizes[0] === 1 && sizes.length === 1;
      const input = small ? data.subarray(0, 5000) : data;
      const { tap, digest } = hashingTap();
      const out: Buffer[] = [];
      await pipeline(
        chunked(input, sizes),
        tap,
        new Writable({
          write(c: Buffer, _e, done) {
            out.push(c);
            done();
          },
        }),
      );
      expect(Buffer.concat(out).equals(input)).toBe(true);
      expect(digest()).toEqual({ sha256: sha256(input), bytes: input.length });
    }
    expect((await sha256Stream(chunked(data, [12345]))).sha256).toBe(want);
  });

  it('hashes an empty stream as the empty string', async () => {
    const { tap, digest } = hashingTap();
    await pipeline(Readable.from([]), tap, discard());
    expect(digest()).toEqual({ sha256: sha256(''), bytes: 0 });
  });
});

/** A published two-file output and its manifest. */
async function published(store: LocalArtifactStore, identity: StageIdentity, body: Buffer) {
  const path = join(dir, `${identity.stage}-${randomBytes(3).toString('hex')}.bin`);
  writeFileSync(path, body);
  const note = join(dir, `${identity.stage}-note.json`);
  writeFileSync(note, JSON.stringify({ ok: true }));
  return publishStage(store, {
    identity,
    kind: 'k',
    files: [
      { name: 'data.bin', path, rows: 3 },
      { name: 'note.json', path: note },
    ],
    stats: { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, nested: { b: 1, a: [1, 2] } },
    seconds: 1,
  });
}

/** Flips two bytes in the middle of a file of the local store. */
function flipTwoBytes(store: LocalArtifactStore, key: string): void {
  const path = join(store.rootDir, ...key.split('/'));
  const bytes = readFileSync(path);
  const mid = bytes.length >> 1;
  bytes[mid] = bytes[mid]! ^ 0xff;
  bytes[mid + 1] = bytes[mid + 1]! ^ 0x01;
  writeFileSync(path, bytes);
}

describe('verified reads of stage outputs', () => {
  const store = new LocalArtifactStore(join(dir, 'store'));
  const id = (stage: string, inputs: Record<string, string> = {}): StageIdentity => ({
    stage,
    config: { stage },
    inputs,
    code: 'c',
  });

  it('reads intact files and refuses flipped bytes with the URI, both hashes and the producer', async () => {
    const body = randomBytes(300_000);
    const m = await published(store, id('preprocess'), body);
    const local = join(dir, 'in', 'data.bin');
    await readOutputFile(store, m, 'data.bin', local);
    expect(readFileSync(local).equals(body)).toBe(true);

    flipTwoBytes(store, `${m.key}/data.bin`);
    const target = join(dir, 'in2', 'data.bin');
    const err = await readOutputFile(store, m, 'data.bin', target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactCorruptedError);
    const e = err as ArtifactCorruptedError;
    expect(e.name).toBe('ArtifactCorrupted');
    expect(e.uri).toBe(store.uriOf(`${m.key}/data.bin`));
    expect(e.expected).toBe(m.files[0]!.sha256);
    expect(e.actual).not.toBe(e.expected);
    expect(e.producer).toBe('preprocess');
    expect(e.message).toContain(e.uri);
    expect(e.message).toContain(e.actual);
    expect(e.message).toContain('--recompute preprocess');
    // Nothing is left where the file would have gone: no file, no temp file.
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(join(dir, 'in2'))).toEqual([]);
    await expect(readOutputBytes(store, m, 'data.bin')).rejects.toBeInstanceOf(
      ArtifactCorruptedError,
    );
  });

  it('verifies a stage output read by its URI (augment report)', async () => {
    const s3 = { region: 'us-east-1', forcePathStyle: false };
    const body = randomBytes(2000);
    const m = await published(store, id('report'), body);
    const uri = m.files[0]!.uri;
    expect(Buffer.from(await readArtifactUri(uri, s3)).equals(body)).toBe(true);
    flipTwoBytes(store, `${m.key}/data.bin`);
    await expect(readArtifactUri(uri, s3)).rejects.toBeInstanceOf(ArtifactCorruptedError);
  });

  it('refuses a truncated file, naming both sizes', async () => {
    const m = await published(store, id('ingest'), randomBytes(10_000));
    const path = join(store.rootDir, ...m.key.split('/'), 'data.bin');
    writeFileSync(path, readFileSync(path).subarray(0, 9_000));
    await expect(readOutputBytes(store, m, 'data.bin')).rejects.toThrow(
      /expected 10000 bytes with sha256 [0-9a-f]{64}, read 9000 bytes/,
    );
  });
});

describe('sealed manifests', () => {
  const store = new LocalArtifactStore(join(dir, 'sealed'));
  const identity: StageIdentity = { stage: 'resample', config: { r: 1 }, inputs: {}, code: 'c' };
  const manifestPath = (m: StageManifest) =>
    join(store.rootDir, ...m.key.split('/'), 'manifest.json');

  it('reads back what was published, non-finite stats included', async () => {
    const m = await published(store, identity, randomBytes(100));
    expect(m.version).toBe(2);
    expect(m.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await readManifest(store, m.key)).toEqual(m);
    expect(m.stats).toEqual({ nan: null, inf: null, nested: { b: 1, a: [1, 2] } });
  });

  it('catches an edited manifest, even one that is still valid JSON and schema', async () => {
    const m = await published(store, identity, randomBytes(100));
    const edited = JSON.parse(readFileSync(manifestPath(m), 'utf8')) as StageManifest;
    edited.files[0]!.sha256 = sha256('something else');
    writeFileSync(manifestPath(m), JSON.stringify(edited, null, 2));
    const err = await readManifest(store, m.key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactCorruptedError);
    expect((err as Error).message).toContain(store.uriOf(`${m.key}/manifest.json`));
    expect((err as Error).message).toContain('does not match its manifestSha256');
    expect((err as ArtifactCorruptedError).producer).toBe('resample');
  });

  it('catches a truncated manifest', async () => {
    const m = await published(store, identity, randomBytes(100));
    const text = readFileSync(manifestPath(m), 'utf8');
    writeFileSync(manifestPath(m), text.slice(0, text.length >> 1));
    await expect(readManifest(store, m.key)).rejects.toThrow(
      /manifest\.json is corrupted \(produced by stage resample\): not valid JSON/,
    );
  });

  it('catches a sealed manifest copied under another key', async () => {
    const m = await published(store, identity, randomBytes(100));
    const other = stageKey({ ...identity, config: { r: 2 } });
    await store.putBytes(`${other}/manifest.json`, readFileSync(manifestPath(m)));
    await expect(readManifest(store, other)).rejects.toThrow(/names key .* not its own/);
  });

  it('treats an unsealed version 1 manifest as not done, so the stage runs again', async () => {
    const m = await published(store, identity, randomBytes(100));
    const { manifestSha256: _seal, ...rest } = JSON.parse(
      readFileSync(manifestPath(m), 'utf8'),
    ) as StageManifest;
    writeFileSync(manifestPath(m), JSON.stringify({ ...rest, version: 1 }));
    expect(await loadManifest(store, m.key)).toEqual({ state: 'legacy' });
    expect(await readManifest(store, m.key)).toBeUndefined();
  });
});

describe('verify and invalidate', () => {
  const store = new LocalArtifactStore(join(dir, 'repair'));
  const id = (stage: string, config: unknown, inputs: Record<string, string> = {}) => ({
    stage,
    config,
    inputs,
    code: 'c',
  });

  /** Publishes `stage` reading `from` (its manifest recorded as an input). */
  async function stage(name: string, from?: StageManifest, config: unknown = {}) {
    const path = join(dir, `${name}-${randomBytes(3).toString('hex')}`);
    writeFileSync(path, randomBytes(5000));
    return publishStage(store, {
      identity: id(name, config, from ? { up: from.sha256 } : {}),
      kind: 'k',
      files: [{ name: 'out.bin', path }],
      inputs: from
        ? [{ name: from.stage, uri: store.uriOf(`${from.key}/manifest.json`), sha256: from.sha256 }]
        : [],
      seconds: 0,
    });
  }

  it('reports ok, corrupted and missing outputs', async () => {
    const a = await stage('ingest', undefined, { v: 'verify' });
    expect(await verifyStageOutput(store, a.key)).toMatchObject({
      status: 'ok',
      files: 1,
      problems: [],
    });
    flipTwoBytes(store, `${a.key}/out.bin`);
    const bad = await verifyStageOutput(store, a.key);
    expect(bad.status).toBe('corrupted');
    expect(bad.problems[0]).toContain(store.uriOf(`${a.key}/out.bin`));
    await store.deletePrefix(`${a.key}/out.bin`);
    expect((await verifyStageOutput(store, a.key)).status).toBe('missing');
    await store.deletePrefix(a.key);
    expect(await verifyStageOutput(store, a.key)).toMatchObject({
      status: 'missing',
      problems: [`${store.uriOf(`${a.key}/manifest.json`)} does not exist`],
    });
  });

  it('invalidates an output and everything computed from it, nothing else', async () => {
    const root = await stage('ingest', undefined, { v: 'chain' });
    const mid = await stage('preprocess', root);
    const leaf = await stage('resample', mid);
    const sibling = await stage('trainGan', root);
    const unrelated = await stage('ingest', undefined, { v: 'other' });
    const removed = await invalidateDownstream(store, mid.key);
    expect(removed).toEqual([mid.key, leaf.key]);
    expect(await store.list(`${mid.key}/`)).toEqual([]);
    expect(await store.list(`${leaf.key}/`)).toEqual([]);
    for (const kept of [root, sibling, unrelated])
      expect((await verifyStageOutput(store, kept.key)).status).toBe('ok');
    expect(await invalidateDownstream(store, root.key)).toEqual([root.key, sibling.key]);
  });
});
