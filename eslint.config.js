// Lint set after the Temporal TypeScript SDK's own: determinism rules for workflows/,
// promise hygiene, type-only imports and no import cycles everywhere.
import tseslint from 'typescript-eslint';
import repo from './infra/lint/no-import-cycle.mjs';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.venv/',
      '.tools/',
      '.stack/',
      '.stack-test/',
      '.cache/',
      '.artifacts/',
      '.scratch/',
      'dist/',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { repo },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Type-only imports count too (import-x/no-cycle skips them).
      'repo/no-import-cycle': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O
    // libraries and only *types* from activities.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Node built-ins are not deterministic; use activities.' },
            {
              group: [
                '**/activities/**',
                '**/activities',
                '../lib/store/**',
                '../lib/tracking/**',
                '../lib/stack/**',
              ],
              allowTypeImports: true,
              message: 'Workflows may import only types from activities and I/O modules.',
            },
          ],
          paths: ['fs', 'path', 'crypto', 'os', 'child_process', 'http', 'https', 'net'].map(
            (name) => ({
              name,
              message: 'Node built-ins are not deterministic; use activities.',
            }),
          ),
        },
      ],
    },
  },
  {
    // The CLI and benchmarks talk to humans on stdout.
    files: ['cli/**/*.ts', 'bench/**/*.ts', 'infra/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
