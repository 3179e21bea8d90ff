import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', '..', '..', 'bin', 'augment.mjs');

function augment(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'config', 'check', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('augment config check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-check-'));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'preprocess:\n  kCore: 3\n');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'preprocess:\n  kCore: -1\n');

  it('takes the file as an argument or as --config, as run does', () => {
    for (const args of [[good], ['--config', good], ['-c', good]]) {
      const r = augment(...args);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).preprocess.kCore).toBe(3);
      expect(r.err).toContain(`${good}: valid`);
    }
  }, 60_000);

  it('names the field of an invalid config, and asks for a file when given none', () => {
    const r = augment('--config', bad);
    expect(r.code).toBe(2); // a config error's exit code
    expect(r.err).toContain('preprocess.kCore');
    const none = augment();
    expect(none.code).toBe(1);
    expect(none.err).toContain('config check needs a file');
  }, 60_000);
});
