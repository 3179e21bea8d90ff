/**
 * Stage work folders, below AUGMENT_WORK_DIR (default: the OS temp dir). Each attempt
 * removes its own folder when it ends, but a worker killed mid-stage (OOM, kill -9, a lost
 * machine's restart) cannot, and a training stage's folder holds its input Parquet files.
 * Folders carry the worker's PID, so a starting worker can remove exactly the ones whose
 * process is gone.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'augment-';
const OWNED = /^augment-(\d+)-/;

/** Where work folders go: AUGMENT_WORK_DIR (e.g. a big local disk), else the OS temp dir. */
export function workRoot(): string {
  return process.env.AUGMENT_WORK_DIR || tmpdir();
}

/** A fresh work folder for one attempt of `stage`, named after this process. */
export async function makeWorkDir(stage: string, root = workRoot()): Promise<string> {
  try {
    // AUGMENT_WORK_DIR may name a folder that does not exist yet.
    await mkdir(root, { recursive: true });
    return await mkdtemp(join(root, `${PREFIX}${process.pid}-${stage}-`));
  } catch (err) {
    throw diskFullError(err, stage, root) ?? err;
  }
}

/**
 * A full disk under a work folder, said plainly. It stays retryable: the attempt's folder
 * is removed and nothing was published, so the next attempt starts clean once space is
 * back (another worker's files freed, a bigger AUGMENT_WORK_DIR).
 */
export class WorkDirFullError extends Error {
  override readonly name = 'WorkDirFull';
  readonly code = 'ENOSPC';
  constructor(stage: string, dir: string, cause: Error) {
    super(
      `stage ${stage} ran out of disk space in its work folder ${dir} (${cause.message}); ` +
        'the folder is removed and nothing was published. Free space there or point ' +
        'AUGMENT_WORK_DIR at a larger disk; the attempt is retried.',
      { cause },
    );
  }
}

/** A WorkDirFullError for an ENOSPC anywhere in `err`'s cause chain, else undefined. */
export function diskFullError(err: unknown, stage: string, dir: string): Error | undefined {
  if (err instanceof WorkDirFullError) return undefined;
  for (let e = err as (Error & { code?: unknown }) | undefined, n = 0; e && n < 8; n++) {
    if (e.code === 'ENOSPC' || /\bENOSPC\b/.test(String(e.message)))
      return new WorkDirFullError(stage, dir, e);
    e = e.cause as typeof e;
  }
  return undefined;
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
export async function removeOrphanWorkDirs(root = workRoot()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = OWNED.exec(name)?.[1];
    if (!pid || alive(Number(pid))) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
