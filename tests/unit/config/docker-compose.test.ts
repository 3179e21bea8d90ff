import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConnectionSettings } from '../../../lib/config/env.ts';

/**
 * There is no Docker engine here, so the compose file cannot be started in CI. What can be
 * checked is checked: it parses, every service the README names exists, and the workers'
 * environment is one our own settings loader accepts and resolves as intended.
 */
describe('infra/docker-compose.yml', () => {
  const compose = parse(readFileSync('infra/docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; command?: string[] }>;
  };

  it('has the stack and a worker per task queue', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['cli', 'mlflow', 's3', 's3-init', 'temporal', 'worker-cpu', 'worker-gpu'].sort(),
    );
    expect(compose.services['worker-cpu']!.command).toEqual(['worker', '--queues', 'cpu']);
    expect(compose.services['worker-gpu']!.command).toEqual(['worker', '--queues', 'gpu']);
  });

  it('gives workers an environment the settings loader accepts', () => {
    const env = { ...compose.services['worker-cpu']!.environment };
    // Compose substitutes ${S3_ACCESS_KEY:?...}; stand in for it here.
    for (const [k, v] of Object.entries(env)) {
      if (v.startsWith('${')) env[k] = `test-${k.toLowerCase()}`;
    }
    const s = loadConnectionSettings(env, {
      artifactUri: 'file:///unused',
      mlflowUri: 'http://unused:5000',
    });
    expect(s.temporal.address).toBe('temporal:7233');
    expect(s.artifactUri).toBe('s3://augment/artifacts');
    expect(s.s3.endpoint).toBe('http://s3:9000');
    expect(s.mlflow.trackingUri).toBe('http://mlflow:5000');
  });
});
