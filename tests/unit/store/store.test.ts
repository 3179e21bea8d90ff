import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidKeyError,
  LocalArtifactStore,
  checkKey,
  createStore,
  publishStage,
  readManifest,
  stableStringify,
  stageKey,
} from '../../../lib/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('keys', () => {
  it('rejects keys that could escape the run prefix', () => {
    for (const bad of ['', '/abs', 'a/../b', '..', 'a//b', './a', 'a\\b', 'a/\u0000', 'a/.']) {
      expect(() => checkKey(bad), bad).toThrow(InvalidKeyError);
    }
    expect(checkKey('stages/ingest/abc/file.parquet')).toBe('stages/ingest/abc/file.parquet');
  });

  it('hashes configs independently of key order', () => {
    expect(stableStringify({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    const base = { stage: 's', config: { x: 1, y: 2 }, inputs: { a: 'h1' }, code: '1' };
    const k = stageKey(base);
    expect(k).toMatch(/^stages\/s\/[0-9a-f]{24}$/);
    expect(stageKey({ ...base, config: { y: 2, x: 1 } })).toBe(k);
    expect(stageKey({ ...base, config: { x: 1, y: 3 } })).not.toBe(k);
    expect(stageKey({ ...base, inputs: { a: 'h2' } })).not.toBe(k);
    expect(stageKey({ ...base, code: '2' })).not.toBe(k);
  });
});

describe('local artifact store', () => {
  const dir = tempDir();

  it('round-trips files and bytes, lists and deletes by prefix', async () => {
    const s = createStore(`file://${dir}/root`, { region: 'us-east-1', forcePathStyle: false });
    expect(s).toBeInstanceOf(LocalArtifactStore);
    const src = join(dir, 'src.bin');
    writeFileSync(src, Buffer.alloc(1000, 7));
    const put = await s.putFile('a/b/c.bin', src);
    expect(put.bytes).toBe(1000);
    await s.getFile('a/b/c.bin', join(dir, 'back.bin'));
    expect(readFileSync(join(dir, 'back.bin')).equals(Buffer.alloc(1000, 7))).toBe(true);
    await s.putBytes('a/d.txt', 'x');
    expect(await s.list('a/')).toEqual(['a/b/c.bin', 'a/d.txt']);
    expect(s.uriOf('a/d.txt')).toBe(`file://${dir}/root/a/d.txt`);
    expect(await s.deletePrefix('a/')).toBe(2);
    expect(await s.exists('a/d.txt')).toBe(false);
  });

  it('treats a stage without manifest as not done', async () => {
    const s = new LocalArtifactStore(join(dir, 'stages'));
    const identity = { stage: 'p', config: {}, inputs: {}, code: '1' };
    const f = join(dir, 'out.bin');
    writeFileSync(f, 'data');
    expect(await readManifest(s, stageKey(identity))).toBeUndefined();
    const m = await publishStage(s, {
      identity,
      kind: 'k',
      files: [{ name: 'out.bin', path: f, rows: 4 }],
      seconds: 1,
    });
    expect(m.rows).toBe(4);
    expect(await readManifest(s, stageKey(identity))).toEqual(m);
  });
});
