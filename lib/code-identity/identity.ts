import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { moduleReferences } from './imports.ts';

/**
 * A module's code identity: a hash over every repository file it reaches through its run-time
 * references (its transitive closure; type-only imports excluded) - each file's
 * repository-relative path and content - plus the installed version of every npm package those
 * files import. Paths are relative to the repository root, so the same tree gives the same
 * identity in any folder, process or machine. Stage cache keys include it: editing any file a
 * stage reaches (even a comment) recomputes that stage, and no other.
 */
export interface CodeIdentity {
  /** 16 hex characters of the sha256 over `files` and `packages`. */
  hash: string;
  /** Repository-relative path -> sha256 of its content, sorted by path. */
  files: Record<string, string>;
  /** npm package -> installed version, sorted by name. */
  packages: Record<string, string>;
}

/** Files that are scanned for further references; others (data, wasm) are hashed only. */
const SOURCE = /\.(ts|mts|js|mjs)$/;

/**
 * Walks the references of `entry` (an absolute path or one relative to `root`, the folder with
 * package.json and node_modules/) and hashes what it reaches. A reference that resolves to no file of the repository, or a package that is
 * not installed, is an error: an identity that silently skipped code could go stale.
 */
export function computeCodeIdentity(
  repoRoot: string,
  entry: string,
  cache: FileCache = new Map(),
): CodeIdentity {
  const root = resolve(repoRoot);
  const files = new Map<string, string>();
  const packages = new Map<string, string>();
  const pending = [resolve(root, entry)];
  while (pending.length > 0) {
    const abs = pending.pop()!;
    const rel = repoPath(root, abs);
    if (files.has(rel)) continue;
    const scanned = cache.get(abs) ?? scanFile(abs, rel);
    cache.set(abs, scanned);
    files.set(rel, scanned.sha256);
    pending.push(...scanned.files);
    for (const name of scanned.packages) {
      if (!packages.has(name)) packages.set(name, packageVersion(root, name, rel));
    }
  }
  const sortedFiles = Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
  const sortedPackages = Object.fromEntries([...packages].sort(([a], [b]) => (a < b ? -1 : 1)));
  const hash = sha256(JSON.stringify({ files: sortedFiles, packages: sortedPackages })).slice(
    0,
    16,
  );
  return { hash, files: sortedFiles, packages: sortedPackages };
}

/** Files already read and scanned, by absolute path: one walk can share them with the next. */
export type FileCache = Map<string, ScannedFile>;

interface ScannedFile {
  sha256: string;
  /** Absolute paths of the repository files it references. */
  files: string[];
  packages: string[];
}

function scanFile(abs: string, rel: string): ScannedFile {
  const bytes = readFileSync(abs);
  if (!SOURCE.test(abs)) return { sha256: sha256(bytes), files: [], packages: [] };
  const refs = moduleReferences(bytes.toString('utf8'));
  const files: string[] = [];
  for (const spec of refs.files) {
    const target = resolveFile(abs, spec);
    // A folder (`new URL('../..', import.meta.url)` for a root path) is not code.
    if (target === 'folder') continue;
    if (!target) throw new Error(`${rel}: '${spec}' resolves to no file (code identity)`);
    files.push(target);
  }
  return { sha256: sha256(bytes), files, packages: refs.packages };
}

function resolveFile(from: string, spec: string): string | 'folder' | undefined {
  const abs = resolve(dirname(from), spec);
  if (existsSync(abs)) return statSync(abs).isDirectory() ? 'folder' : abs;
  // Compiled-style specifiers (`./x.js`) name the TypeScript source beside them.
  if (abs.endsWith('.js') && existsSync(abs.slice(0, -3) + '.ts')) return abs.slice(0, -3) + '.ts';
  return undefined;
}

function repoPath(root: string, abs: string): string {
  const rel = relative(root, abs);
  if (rel.startsWith('..')) throw new Error(`${abs} is outside the repository ${root}`);
  return rel.split(sep).join('/');
}

function packageVersion(root: string, name: string, importer: string): string {
  const manifest = join(root, 'node_modules', name, 'package.json');
  if (!existsSync(manifest))
    throw new Error(`${importer} imports '${name}', which is not installed (code identity)`);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
