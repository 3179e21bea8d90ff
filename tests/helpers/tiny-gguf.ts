import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const python = join(here, '..', '..', '.venv', 'bin', 'python');

/**
 * Writes the tiny random-weight GGUF model (tiny_gguf.py, with the venv's `gguf` package
 * that `npm run setup` installs) into `dir` and returns its path.
 */
export function tinyGguf(dir: string, seed = 7): string {
  if (!existsSync(python)) throw new Error(`${python} is missing: run npm run setup`);
  const path = join(dir, `tiny-${seed}.gguf`);
  execFileSync(python, [join(here, 'tiny_gguf.py'), path, String(seed)], { stdio: 'pipe' });
  return path;
}
