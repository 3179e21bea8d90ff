import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, describe, expect, it } from 'vitest';
import repo from '../../../infra/lint/no-import-cycle.mjs';

const dir = mkdtempSync(join(tmpdir(), 'import-cycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cycleMessages(files: Record<string, string>, lint: string): Promise<string[]> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser },
      plugins: { repo },
      rules: { 'repo/no-import-cycle': 'error' },
    },
  });
  const [result] = await eslint.lintFiles([join(dir, lint)]);
  return result!.messages.map((m) => m.message);
}

describe('repo/no-import-cycle', () => {
  it('reports a cycle made only of type imports, naming its route', async () => {
    const messages = await cycleMessages(
      {
        'a.ts': "import type { B } from './b.ts';\nexport interface A { b?: B }\n",
        'b.ts': "import type { C } from './c.ts';\nexport interface B { c?: C }\n",
        'c.ts': "import type { A } from './a.ts';\nexport interface C { a?: A }\n",
      },
      'a.ts',
    );
    expect(messages).toEqual(['Import cycle: a.ts -> b.ts -> c.ts -> a.ts']);
  });

  it('reports re-export cycles and accepts an acyclic graph', async () => {
    expect(
      await cycleMessages(
        {
          'index.ts': "export type * from './part.ts';\nexport type Id = string;\n",
          'part.ts': "import type { Id } from './index.ts';\nexport type Part = { id: Id };\n",
        },
        'part.ts',
      ),
    ).toEqual(['Import cycle: part.ts -> index.ts -> part.ts']);
    expect(
      await cycleMessages(
        {
          'leaf.ts': 'export type Id = string;\n',
          'top.ts': "import type { Id } from './leaf.ts';\nexport type Top = { id: Id };\n",
        },
        'top.ts',
      ),
    ).toEqual([]);
  });
});
