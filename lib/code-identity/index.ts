import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { computeCodeIdentity } from './identity.ts';
import type { FileCache } from './identity.ts';

export { computeCodeIdentity } from './identity.ts';
export type { CodeIdentity } from './identity.ts';
export { moduleReferences } from './imports.ts';

/**
 * The folder this code runs from: the repository, or the compiled tree (`dist/`), which
 * carries the identities `npm run build` computed from the sources in `code-identity.json`.
 */
const RUN_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PRECOMPUTED_NAME = 'code-identity.json';

const memo = new Map<string, string>();
const files: FileCache = new Map();
let precomputed: Record<string, string> | undefined | null = null;

/**
 * The code identity of the module at `moduleUrl` (a stage's `import.meta.url`), computed
 * once per process from the source files it reaches, or read from the build's table when
 * running compiled code.
 */
export function codeIdentityOf(moduleUrl: string): string {
  const path = fileURLToPath(moduleUrl);
  let id = memo.get(path);
  if (id === undefined) {
    id = lookupPrecomputed(path) ?? computeCodeIdentity(repositoryOf(path), path, files).hash;
    memo.set(path, id);
  }
  return id;
}

/**
 * Computes the identity of every module under activities/ (where stages are defined) now, so
 * it describes the code this process loaded at start, not files edited while it runs. Workers
 * call it before they poll.
 */
export function preloadCodeIdentities(): void {
  for (const module of activityModules(RUN_ROOT))
    codeIdentityOf(pathToFileURL(join(RUN_ROOT, module)).href);
}

/** The modules under `root`/activities/ (where stages are defined), root-relative, sorted. */
export function activityModules(root: string): string[] {
  return readdirSync(join(root, 'activities'))
    .filter((name) => /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts'))
    .sort()
    .map((name) => `activities/${name}`);
}

/** The nearest folder above `path` with a package.json: the tree the module belongs to. */
function repositoryOf(path: string): string {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`${path} is not inside a package (no package.json)`);
  }
}

/** The repository-relative source path of a module, also when it runs compiled (`x.js`). */
function sourcePath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/').replace(/\.js$/, '.ts');
}

function lookupPrecomputed(path: string): string | undefined {
  if (precomputed === null) {
    const file = join(RUN_ROOT, PRECOMPUTED_NAME);
    precomputed = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { modules: Record<string, string> }).modules
      : undefined;
  }
  if (!precomputed) return undefined;
  const id = precomputed[sourcePath(RUN_ROOT, path)];
  if (id === undefined)
    throw new Error(`${path} is not in ${PRECOMPUTED_NAME}: rebuild with npm run build`);
  return id;
}
