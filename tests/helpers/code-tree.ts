import { appendFileSync, cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/stack/config.ts';
import { tempDir } from './tmp.ts';

/**
 * A copy of the code stages reach (activities/, lib/, package.json; node_modules linked) in a
 * folder of its own, optionally with one comment line appended to `edit`: a tree whose code
 * identities can be compared with the repository's.
 */
export function copyCodeTree(edit?: string): string {
  const root = tempDir('augment-code-');
  for (const part of ['activities', 'lib', 'package.json'])
    cpSync(join(PROJECT_ROOT, part), join(root, part), { recursive: true });
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'));
  if (edit) appendFileSync(join(root, edit), '\n// an edit that changes no behaviour\n');
  return root;
}
