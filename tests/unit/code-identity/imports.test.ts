import { describe, expect, it } from 'vitest';
import { moduleReferences } from '../../../lib/code-identity/index.ts';

describe('moduleReferences', () => {
  it('finds static, re-exported, dynamic and URL references', () => {
    const refs = moduleReferences(
      [
        "import { a, b as c } from './a.ts';",
        "import d from '../d.ts';",
        "import * as e from './e.ts';",
        "import './side-effect.ts';",
        'import {',
        '  f,',
        '  g,',
        "} from './multi-line.ts';",
        "export { h } from './h.ts';",
        "export * from './star.ts';",
        "const lazy = () => import('./lazy.ts');",
        "const worker = new URL('./worker.ts', import.meta.url);",
        "import { z } from 'zod';",
        "import { Worker } from '@temporalio/worker';",
        "import tfc from '@tensorflow/tfjs-core/dist/base';",
      ].join('\n'),
    );
    expect(refs.files.sort()).toEqual(
      [
        './a.ts',
        '../d.ts',
        './e.ts',
        './side-effect.ts',
        './multi-line.ts',
        './h.ts',
        './star.ts',
        './lazy.ts',
        './worker.ts',
      ].sort(),
    );
    expect(refs.packages.sort()).toEqual(['@temporalio/worker', '@tensorflow/tfjs-core', 'zod']);
  });

  it('leaves out type-only statements but keeps imports with inline type specifiers', () => {
    const refs = moduleReferences(
      [
        "import type { T } from './types.ts';",
        "export type { U } from './more-types.ts';",
        "export type * from './all-types.ts';",
        "import { type V, w } from './mixed.ts';",
      ].join('\n'),
    );
    expect(refs.files).toEqual(['./mixed.ts']);
  });

  it('ignores Node built-ins, comments and declarations that merely mention "from"', () => {
    const refs = moduleReferences(
      [
        "import { readFile } from 'node:fs/promises';",
        "import { join } from 'path';",
        "// import { x } from './commented.ts';",
        '/**',
        " * Example: import('./in-doc.ts') or new URL('./in-doc-worker.ts', import.meta.url).",
        ' */',
        'export class Reader {',
        "  // reads from 'disk'",
        '}',
        "export const label = 'from here';",
      ].join('\n'),
    );
    expect(refs).toEqual({ files: [], packages: [] });
  });
});
