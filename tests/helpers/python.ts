import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** The project venv's Python (infra/setup.mjs installs it and the worker's packages). */
export const PYTHON = join(root, '.venv', 'bin', 'python');

/** Runs `python -m <module> ...args` with python/ on the path; rejects with its stderr. */
export function runPythonModule(module: string, args: string[]): Promise<string> {
  if (!existsSync(PYTHON))
    throw new Error(`${PYTHON} is missing: run \`node infra/setup.mjs\` to install the venv`);
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', module, ...args], {
      cwd: join(root, 'python'),
      env: { ...process.env, JAX_PLATFORMS: 'cpu', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`python -m ${module} exited ${code}: ${err}`)),
    );
  });
}
