import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LocalArtifactStore,
  publishStage,
  readFileHashed,
  sha256File,
} from '../../../lib/store/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

const CHUNK = 16 << 20;

describe('reading a file once to hash and use it', () => {
  const dir = tempDir();

  it('gives the bytes of readFile and the sha256 of sha256File, across chunk edges', async () => {
    for (const size of [0, 1, 1000, CHUNK - 1, CHUNK, CHUNK + 17, 2 * CHUNK + 3]) {
      const path = join(dir, `f${size}`);
      const data = Buffer.alloc(size);
      for (let k = 0; k < size; k += 4093) data[k] = (k * 31) & 0xff;
      writeFileSync(path, data);
      const r = await readFileHashed(path);
      expect(r.bytes.equals(readFileSync(path)), `bytes ${size}`).toBe(true);
      expect(r.sha256, `sha ${size}`).toBe((await sha256File(path)).sha256);
      expect(r.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('publishes with a writer-given sha256 and without, to the same manifest hashes, in order', async () => {
    const files = ['c.bin', 'a.bin', 'b.bin'].map((name, k) => {
      const path = join(dir, name);
      writeFileSync(path, Buffer.alloc(1000 * (k + 1), k + 1));
      return { name, path, rows: k };
    });
    const identity = { stage: 's', config: {}, inputs: {}, code: '1' };
    const plain = await publishStage(new LocalArtifactStore(join(dir, 'p')), {
      identity,
      kind: 'k',
      files,
      seconds: 1,
    });
    const known = await publishStage(new LocalArtifactStore(join(dir, 'k')), {
      identity,
      kind: 'k',
      files: await Promise.all(
        files.map(async (f) => ({ ...f, sha256: (await sha256File(f.path)).sha256 })),
      ),
      seconds: 1,
    });
    expect(plain.files.map((f) => f.name)).toEqual(['c.bin', 'a.bin', 'b.bin']);
    expect(known.files.map((f) => [f.name, f.bytes, f.sha256])).toEqual(
      plain.files.map((f) => [f.name, f.bytes, f.sha256]),
    );
    expect(known.sha256).toBe(plain.sha256);
  });
});
