import { defineConfig } from 'vitest/config';

// Two tiers: pure unit tests (no servers) and integration/e2e tests that share one real
// local stack (Temporal dev server, MinIO, MLflow) started once by the global setup.
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          // One stack on two cores: run integration files one after another.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
