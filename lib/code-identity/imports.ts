import { isBuiltin } from 'node:module';

/**
 * The module references a source file makes at run time, read from its text. Pure: no I/O.
 *
 * Recognised: `import ... from 'x'`, `import 'x'`, `export ... from 'x'`, `import('x')`
 * with a literal, and `new URL('x', import.meta.url)` (worker entry files and other files
 * loaded by path). `import type` / `export type` statements are erased by the compiler and so
 * are left out; an import with inline `type` specifiers is kept, because the statement itself
 * may survive compilation as a side-effect import. Statements are matched at line starts, as
 * the formatter writes them, and lines that are comments are skipped, so an example in a doc
 * comment is not mistaken for a reference.
 */
export interface ModuleReferences {
  /** Specifiers starting with `.` or `/`: files of this repository. */
  files: string[];
  /** Bare specifiers: npm packages (Node built-ins excluded). */
  packages: string[];
}

// The clause before `from` holds only names, braces, commas, `*` and `as`: a declaration
// such as `export class X {` followed by a comment that says "from 'y'" does not match.
const STATIC =
  /^[ \t]*(import|export)\s+(type\s+)?(?:[\w\s{},*$]*?\s*from\s+)?['"]([^'"\n]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
const URL_REF = /\bnew URL\(\s*['"]([^'"\n]+)['"]\s*,\s*import\.meta\.url\s*\)/g;

export function moduleReferences(source: string): ModuleReferences {
  const specs = new Set<string>();
  for (const m of source.matchAll(STATIC)) {
    // `export const x = ...` and friends carry no specifier: the pattern needs a quote.
    if (m[2] === undefined) specs.add(m[3]!);
  }
  const code = withoutCommentLines(source);
  for (const m of code.matchAll(DYNAMIC)) specs.add(m[1]!);
  for (const m of code.matchAll(URL_REF)) specs.add(m[1]!);
  const files: string[] = [];
  const packages: string[] = [];
  for (const s of specs) {
    if (s.startsWith('.') || s.startsWith('/')) files.push(s);
    else if (!isBuiltin(s)) packages.push(packageName(s));
  }
  return { files, packages: [...new Set(packages)] };
}

/** The source with whole-line comments (`//`, `/*`, ` * `) blanked. */
function withoutCommentLines(source: string): string {
  return source
    .split('\n')
    .map((line) => (/^\s*(\/\/|\/\*|\*)/.test(line) ? '' : line))
    .join('\n');
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
