// Fingerprint of everything the compiled tree (dist/) is built from. `npm run build` writes
// it into dist/build-info.json; bin/augment.mjs runs dist/ only while the sources still
// match it, so an edited source tree never runs stale compiled code.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Folders compiled into dist/ (tsconfig.build.json includes the same). */
export const COMPILED_FOLDERS = ['activities', 'cli', 'lib', 'workers', 'workflows'];
/** Files outside them that change the output: compiler settings, the locked dependencies. */
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
export const BUILD_INFO = 'build-info.json';

/** Hash of the paths and contents of the build's inputs under `root`. */
export function sourceStamp(root) {
  const hash = createHash('sha256');
  const add = (rel) => {
    hash.update(`${rel}\0`);
    hash.update(readFileSync(join(root, rel)));
    hash.update('\0');
  };
  for (const folder of COMPILED_FOLDERS) {
    const files = readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) =>
        relative(root, join(e.parentPath ?? e.path, e.name))
          .split(sep)
          .join('/'),
      )
      .sort();
    files.forEach(add);
  }
  for (const rel of INPUT_FILES) if (existsSync(join(root, rel))) add(rel);
  return hash.digest('hex');
}

/** Whether `dist` under `root` was built from the sources as they are now. */
export function compiledIsCurrent(root) {
  const info = join(root, 'dist', BUILD_INFO);
  if (!existsSync(info)) return false;
  try {
    return JSON.parse(readFileSync(info, 'utf8')).sources === sourceStamp(root);
  } catch {
    return false;
  }
}
