import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeWorkDir, removeOrphanWorkDirs } from '../../../activities/work-dirs.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('stage work folders', () => {
  it('a starting worker removes the folders of dead processes and nothing else', async () => {
    const root = tempDir();
    const mine = await makeWorkDir('retrainA', root);
    expect(basename(mine)).toMatch(new RegExp(`^augment-${process.pid}-retrainA-`));
    // A process that has exited: its PID is free (a reused PID only means we keep a folder).
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    const orphan = join(root, `augment-${dead}-trainGan-abc123`);
    mkdirSync(join(orphan, 'in', 'preprocess'), { recursive: true });
    writeFileSync(join(orphan, 'in', 'preprocess', 'train.parquet'), 'x');
    const other = join(root, 'augment-test-keep');
    mkdirSync(other);
    expect(await removeOrphanWorkDirs(root)).toEqual([basename(orphan)]);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(mine)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });
});
