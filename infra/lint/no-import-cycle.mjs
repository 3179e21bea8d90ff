// ESLint rule: no import cycles between the repository's modules, type-only imports
// included (import-x/no-cycle skips `import type`, and a type-only cycle still ties two
// modules' designs together). The graph is read from the source files themselves, so the
// rule sees the whole repository whichever files are being linted.
import { readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Per-process cache of a file's relative imports, keyed by path, valid while its mtime holds. */
const cache = new Map();

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The repository files `file` imports by relative specifier (static, dynamic or type-only). */
function importsOf(file) {
  let mtime;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const hit = cache.get(file);
  if (hit && hit.mtime === mtime) return hit.deps;
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const deps = importedFiles
    .map((f) => f.fileName)
    .filter((s) => s.startsWith('./') || s.startsWith('../'))
    .map((s) => resolve(dirname(file), s))
    .filter(isFile);
  cache.set(file, { mtime, deps });
  return deps;
}

/** A shortest import path from `start` back to `target`, or undefined when there is none. */
function pathBack(start, target) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const dep of importsOf(file)) {
      if (previous.has(dep)) continue;
      previous.set(dep, file);
      if (dep === target) {
        const route = [];
        for (let at = dep; at !== undefined; at = previous.get(at)) route.unshift(at);
        return route;
      }
      queue.push(dep);
    }
  }
  return undefined;
}

const rule = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Forbid import cycles between repository modules, type imports included.',
    },
    schema: [],
    messages: { cycle: 'Import cycle: {{route}}' },
  },
  create(context) {
    const file = resolve(context.physicalFilename);
    const root = context.cwd;
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const spec = source.value;
      if (!spec.startsWith('./') && !spec.startsWith('../')) return;
      const target = resolve(dirname(file), spec);
      if (target === file || !isFile(target)) return;
      const route = pathBack(target, file);
      if (!route) return;
      const names = [file, ...route].map((f) => relative(root, f));
      context.report({ node, messageId: 'cycle', data: { route: names.join(' -> ') } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportType: (node) => check(node, node.argument?.literal ?? node.argument),
    };
  },
};

export default { rules: { 'no-import-cycle': rule } };
