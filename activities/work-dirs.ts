/**
 * Stage work folders in the OS temp dir. Each attempt removes its own folder when it ends,
 * but a worker killed mid-stage (OOM, kill -9, a lost machine's restart) cannot, and a
 * training stage's folder holds its input Parquet files. Folders carry the worker's PID, so
 * a starting worker can remove exactly the ones whose process is gone.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'augment-';
const OWNED = /^augment-(\d+)-/;

/** A fresh work folder for one attempt of `stage`, named after this process. */
export function makeWorkDir(stage: string, root = tmpdir()): Promise<string> {
  return mkdtemp(join(root, `${PREFIX}${process.pid}-${stage}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes work folders left by processes that no longer run; returns their names. */
export async function removeOrphanWorkDirs(root = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = OWNED.exec(name)?.[1];
    if (!pid || alive(Number(pid))) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
