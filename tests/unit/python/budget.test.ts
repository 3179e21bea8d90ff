/**
 * The Python worker's unit tests (tests/unit/python/test_*.py, stdlib unittest): its training
 * budget, the trainers that honour it, the seconds its heartbeats carry and the worker identity
 * its refs record. Run with the project's venv from python/, as the worker runs.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON } from '../../helpers/python.ts';

describe('Python worker unit tests', () => {
  it('pass (python -m unittest)', () => {
    const here = import.meta.dirname;
    const run = spawnSync(
      PYTHON,
      ['-m', 'unittest', 'discover', '-s', here, '-t', here, '-p', 'test_*.py'],
      {
        cwd: join(here, '..', '..', '..', 'python'),
        env: { ...process.env, JAX_PLATFORMS: 'cpu', PYTHONDONTWRITEBYTECODE: '1' },
        encoding: 'utf8',
        timeout: 280_000,
      },
    );
    // unittest reports on stderr: the failures, or how many ran.
    expect(run.stderr).toMatch(/\nOK\s*$/);
    expect(run.status).toBe(0);
    expect(Number(/Ran (\d+) tests/.exec(run.stderr)?.[1])).toBeGreaterThanOrEqual(12);
  }, 300_000);
});
