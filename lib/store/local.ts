import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { fileHash, hashingTap, sha256, sha256File } from './hash.ts';
import { NotFoundError, checkContent, checkKey } from './types.ts';
import type { ArtifactStore, ExpectedContent, PutOptions, PutResult } from './types.ts';

/**
 * Artifact store on a local folder: the zero-setup default and what a single machine
 * needs. Writes go to a temp file beside the target, then rename - atomic on POSIX.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly rootUri: string;

  constructor(readonly rootDir: string) {
    this.rootUri = pathToFileURL(rootDir).href.replace(/\/$/, '');
  }

  uriOf(key: string): string {
    return `${this.rootUri}/${checkKey(key)}`;
  }

  private pathOf(key: string): string {
    return join(this.rootDir, ...checkKey(key).split('/'));
  }

  async putFile(key: string, localPath: string, opts: PutOptions = {}): Promise<PutResult> {
    const target = this.pathOf(key);
    const { sha256: hash, bytes } = await fileHash(localPath, opts.sha256);
    await this.atomicWrite(target, async (tmp) => {
      await pipeline(createReadStream(localPath), createWriteStream(tmp), { signal: opts.signal });
    });
    opts.onProgress?.(bytes);
    return { key, bytes, sha256: hash };
  }

  async putBytes(
    key: string,
    body: Uint8Array | string,
    opts: PutOptions = {},
  ): Promise<PutResult> {
    const target = this.pathOf(key);
    opts.signal?.throwIfAborted();
    await this.atomicWrite(target, (tmp) => writeFile(tmp, body));
    const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    opts.onProgress?.(bytes);
    return { key, bytes, sha256: sha256(body) };
  }

  private async atomicWrite(target: string, write: (tmp: string) => Promise<void>): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await write(tmp);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async getBytes(key: string, expected?: ExpectedContent): Promise<Uint8Array> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(this.uriOf(key));
      throw err;
    }
    if (expected)
      checkContent(this.uriOf(key), expected, { sha256: sha256(bytes), bytes: bytes.length });
    return bytes;
  }

  async getFile(key: string, localPath: string, expected?: ExpectedContent): Promise<void> {
    const source = this.pathOf(key);
    if (!(await this.exists(key))) throw new NotFoundError(this.uriOf(key));
    await this.atomicWrite(localPath, async (tmp) => {
      if (!expected) return pipeline(createReadStream(source), createWriteStream(tmp));
      const { tap, digest } = hashingTap();
      await pipeline(createReadStream(source), tap, createWriteStream(tmp));
      checkContent(this.uriOf(key), expected, digest());
    });
  }

  async hashObject(key: string): Promise<{ sha256: string; bytes: number }> {
    if (!(await this.exists(key))) throw new NotFoundError(this.uriOf(key));
    return sha256File(this.pathOf(key));
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = prefix === '' ? this.rootDir : this.pathOf(prefix.replace(/\/$/, ''));
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        // A prefix that is a whole key (one file) lists that key, as in S3.
        if ((err as NodeJS.ErrnoException).code === 'ENOTDIR' && dir === base)
          out.push(relative(this.rootDir, dir).split(sep).join('/'));
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!/\.tmp-[0-9a-f]{12}$/.test(e.name))
          out.push(relative(this.rootDir, p).split(sep).join('/'));
      }
    };
    await walk(base);
    return out.sort();
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    await Promise.all(keys.map((k) => rm(this.pathOf(k), { force: true })));
    return keys.length;
  }
}
