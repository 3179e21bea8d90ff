// Writes the code identities of every activity module into a compiled tree's
// code-identity.json, so compiled workers key stages exactly as the sources do:
//   node --import tsx lib/code-identity/write.ts dist
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeCodeIdentity } from './identity.ts';
import type { FileCache } from './identity.ts';
import { PRECOMPUTED_NAME, activityModules } from './index.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Identity of each module under activities/ (where stages are defined), by source path. */
export function activityIdentities(repoRoot: string): Record<string, string> {
  const files: FileCache = new Map();
  const modules: Record<string, string> = {};
  for (const path of activityModules(repoRoot))
    modules[path] = computeCodeIdentity(repoRoot, path, files).hash;
  return modules;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node --import tsx lib/code-identity/write.ts <compiled-tree-folder>');
    process.exit(2);
  }
  const modules = activityIdentities(root);
  writeFileSync(join(out, PRECOMPUTED_NAME), `${JSON.stringify({ modules }, null, 2)}\n`);
  console.error(`code identities of ${Object.keys(modules).length} activity modules -> ${out}`);
}
