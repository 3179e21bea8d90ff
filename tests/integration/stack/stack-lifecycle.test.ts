import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { portOpen } from '../../../lib/stack/process.ts';
import { tempDir } from '../../helpers/tmp.ts';

const run = promisify(execFile);
const ports = { temporal: 27233, temporalUi: 28233, s3: 29000, s3Console: 29001, mlflow: 25000 };

/** The CLI as a user runs it, on its own ports and folder (the test stack keeps running). */
async function augment(args: string[], dir: string) {
  const flags = [
    '--dir', dir,
    '--temporal-port', String(ports.temporal),
    '--temporal-ui-port', String(ports.temporalUi),
    '--s3-port', String(ports.s3),
    '--s3-console-port', String(ports.s3Console),
    '--mlflow-port', String(ports.mlflow),
  ]; // prettier-ignore
  try {
    const r = await run(
      process.execPath,
      [join(PROJECT_ROOT, 'bin', 'augment.mjs'), 'stack', ...args, ...flags, '--json'],
      {
        cwd: PROJECT_ROOT,
        timeout: 180_000,
      },
    );
    return {
      code: 0,
      json: JSON.parse(r.stdout) as Record<string, { healthy?: boolean; pid?: number }>,
    };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return {
      code: e.code,
      json: JSON.parse(e.stdout || '{}') as Record<string, { healthy?: boolean; pid?: number }>,
    };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('augment stack up/status/down', () => {
  it('starts all three servers healthy, reuses them, and leaves no process behind', async () => {
    const dir = join(tempDir(), 'stack');
    const before = await augment(['status'], dir);
    expect(before.code).toBe(1);
    expect(existsSync(join(dir, 'credentials.json'))).toBe(false); // status creates nothing

    const up = await augment(['up'], dir);
    expect(up.code).toBe(0);
    for (const name of ['temporal', 's3', 'mlflow'])
      expect(up.json[name]!.healthy, name).toBe(true);
    const pids = ['temporal', 's3', 'mlflow'].map((n) => up.json[n]!.pid!);
    expect(pids.every(alive)).toBe(true);
    expect(readFileSync(join(dir, 'env'), 'utf8')).toContain(
      `TEMPORAL_ADDRESS=127.0.0.1:${ports.temporal}`,
    );

    const again = await augment(['up'], dir);
    expect(
      (again.json as unknown as { services: { action: string }[] }).services.map((s) => s.action),
    ).toEqual(['reused', 'reused', 'reused']);

    const status = await augment(['status'], dir);
    expect(status.code).toBe(0);
    expect(Object.keys(status.json).sort()).toEqual(['mlflow', 's3', 'temporal']);

    const down = await augment(['down'], dir);
    expect(down.code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    for (const port of Object.values(ports))
      expect(await portOpen('127.0.0.1', port), `port ${port}`).toBe(false);
  });
});
