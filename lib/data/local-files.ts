/**
 * Local source locations: one file, a folder of part files, or a `*` pattern over a
 * folder's files. No network here, so pure data code can read local sources too.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataValidationError } from './errors.ts';
import type { SourceFiles } from './ingest-files.ts';

/**
 * A local location's files as paths the readers stream, neither read nor hashed here: for
 * callers that need no cache fingerprint (benches, tools, tests).
 */
export async function localSource(location: string): Promise<SourceFiles> {
  const listing = await localListing(location);
  if ('file' in listing)
    return { list: async () => [], read: async () => ({ data: location, label: location }) };
  const { dir, names } = listing;
  return {
    list: async () => names,
    read: async (name) => ({ data: join(dir, name), label: join(dir, name) }),
  };
}

/** One local file, or the parts of a folder (all of them, or those a `*` pattern matches). */
export async function localListing(
  location: string,
): Promise<{ file: string } | { dir: string; names: string[] }> {
  const glob = splitGlob(location);
  if (glob.pattern) {
    const names = (await localFiles(glob.dir)).filter((n) => glob.pattern!.test(n));
    if (names.length === 0)
      throw new DataValidationError({ file: location, expected: 'at least one file matching it' });
    return { dir: glob.dir, names };
  }
  let info;
  try {
    info = await stat(location);
  } catch {
    throw new DataValidationError({ file: location, expected: 'an existing file or folder' });
  }
  if (!info.isDirectory()) return { file: location };
  const names = await localFiles(location);
  if (names.length === 0)
    throw new DataValidationError({
      file: location,
      problem: 'the folder holds no files (hidden files and markers such as _SUCCESS do not count)',
      expected: 'a folder with at least one file',
    });
  return { dir: location, names };
}

/**
 * `dir/part-*.csv` -> the folder and a pattern for its last segment (`*`: any run of
 * characters; `?` cannot be one, it starts a source's options); no `*` -> the location
 * itself and no pattern.
 */
export function splitGlob(location: string): { dir: string; pattern?: RegExp } {
  const cut = location.lastIndexOf('/');
  const last = location.slice(cut + 1);
  if (!last.includes('*')) return { dir: location };
  const source = last.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return { dir: location.slice(0, cut + 1), pattern: new RegExp(`^${source}$`) };
}

/** Part files of a folder: hidden files and markers such as `_SUCCESS` never count. */
export function isPart(name: string): boolean {
  return !name.startsWith('.') && !name.startsWith('_');
}

export async function localFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && isPart(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    throw new DataValidationError({ file: dir, expected: 'an existing folder' });
  }
}
