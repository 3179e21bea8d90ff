import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made = new Set<string>();

function removeAll(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

// Registered when a test file imports this module (each file evaluates it afresh), not
// per call: an afterAll called from inside a running test is silently dropped, which left
// hundreds of folders in /tmp. The exit handler covers a file whose hooks never ran.
afterAll(removeAll);
process.once('exit', removeAll);

/** A temp folder removed after the test file. */
export function tempDir(prefix = 'augment-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
