// Lint set after the Temporal TypeScript SDK's own: determinism rules for workflows/,
// promise hygiene and type-only imports everywhere.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

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
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': 'error',
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
