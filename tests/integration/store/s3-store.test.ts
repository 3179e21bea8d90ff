import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import {
  NotFoundError,
  S3ArtifactStore,
  publishStage,
  readManifest,
  sha256,
  stageKey,
} from '../../../lib/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const stack = inject('stack');
const dir = tempDir();
const runPrefix = `test-${Date.now()}-${randomBytes(3).toString('hex')}`;

function store(prefix = runPrefix) {
  return new S3ArtifactStore({
    bucket: stack.bucket,
    prefix,
    endpoint: stack.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: stack.s3Credentials,
    maxAttempts: 3,
  });
}

describe('S3 artifact store on a real MinIO server', () => {
  it('round-trips a 50 MB object through multipart upload', async () => {
    const src = join(dir, 'big.bin');
    const data = randomBytes(50 * 1024 * 1024);
    writeFileSync(src, data);
    const s = store();
    let progress = 0;
    const put = await s.putFile('big/big.bin', src, { onProgress: (b) => (progress = b) });
    expect(put.bytes).toBe(data.length);
    expect(put.sha256).toBe(sha256(data));
    expect(progress).toBe(data.length);
    const back = join(dir, 'big.back');
    await s.getFile('big/big.bin', back);
    expect(sha256(readFileSync(back))).toBe(put.sha256);
    // Multipart objects carry a "-<parts>" ETag: prove the multipart path really ran.
    const head = await s.client.send(
      new (await import('@aws-sdk/client-s3')).HeadObjectCommand({
        Bucket: stack.bucket,
        Key: `${runPrefix}/big/big.bin`,
      }),
    );
    expect(head.ETag).toMatch(/-\d+"$/);
  });

  it('never makes an interrupted upload visible', async () => {
    const src = join(dir, 'interrupted.bin');
    writeFileSync(src, randomBytes(40 * 1024 * 1024));
    const s = store();
    const ctl = new AbortController();
    const upload = s.putFile('partial/interrupted.bin', src, {
      signal: ctl.signal,
      onProgress: (b) => {
        if (b > 0) ctl.abort();
      },
    });
    await expect(upload).rejects.toThrow();
    expect(await s.exists('partial/interrupted.bin')).toBe(false);
    expect(await s.list('partial/')).toEqual([]);
  });

  it('publishes data first and the manifest last; readers see only finished stages', async () => {
    const s = store();
    const identity = {
      stage: 'ingest',
      config: { a: 1 },
      inputs: { source: 'abc' },
      code: '1',
    };
    const key = stageKey(identity);
    expect(await readManifest(s, key)).toBeUndefined();

    // A publish whose second file is missing fails after the first upload: still not done.
    const ok = join(dir, 'a.bin');
    writeFileSync(ok, 'hello');
    await expect(
      publishStage(s, {
        identity,
        kind: 'test',
        files: [
          { name: 'a.bin', path: ok, rows: 1 },
          { name: 'b.bin', path: join(dir, 'missing.bin'), rows: 1 },
        ],
        seconds: 0,
      }),
    ).rejects.toThrow();
    expect(await s.exists(`${key}/a.bin`)).toBe(true);
    expect(await readManifest(s, key)).toBeUndefined();

    const manifest = await publishStage(s, {
      identity,
      kind: 'test',
      files: [{ name: 'a.bin', path: ok, rows: 1 }],
      stats: { users: 3 },
      seconds: 0.5,
    });
    const read = await readManifest(s, key);
    expect(read).toEqual(manifest);
    expect(read!.files[0]!.uri).toBe(`s3://${stack.bucket}/${runPrefix}/${key}/a.bin`);
    expect(read!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports missing keys as NotFoundError and lists/deletes by prefix', async () => {
    const s = store();
    await expect(s.getBytes('nope/nothing')).rejects.toBeInstanceOf(NotFoundError);
    await s.putBytes('list/x/1.txt', 'one');
    await s.putBytes('list/x/2.txt', 'two');
    expect(await s.list('list/')).toEqual(['list/x/1.txt', 'list/x/2.txt']);
    expect(Buffer.from(await s.getBytes('list/x/2.txt')).toString()).toBe('two');
    expect(await s.deletePrefix('list/')).toBe(2);
    expect(await s.list('list/')).toEqual([]);
  });
});
