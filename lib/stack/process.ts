import { spawn } from 'node:child_process';
import {
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
  closeSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server process started in its own process group, so `down` can stop all its children. */
export interface DetachedProcess {
  pid: number;
  logFile: string;
}

/**
 * Starts `cmd` detached from this process (it outlives the CLI), with output appended to
 * `logFile`, and records its pid in `pidFile`.
 */
export function spawnDetached(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; logFile: string; pidFile: string },
): DetachedProcess {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  mkdirSync(dirname(opts.pidFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    child.unref();
    writeFileSync(opts.pidFile, `${child.pid}\n`);
    return { pid: child.pid, logFile: opts.logFile };
  } finally {
    closeSync(fd);
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a process group: SIGTERM, then SIGKILL after `graceMs`. Returns once no member of
 * the group is left, so `down` never leaves a server (or MLflow's gunicorn workers) behind.
 */
export async function killGroup(pid: number, graceMs = 10_000): Promise<void> {
  const signalGroup = (sig: NodeJS.Signals): boolean => {
    try {
      process.kill(-pid, sig);
      return true;
    } catch {
      try {
        process.kill(pid, sig);
        return true;
      } catch {
        return false;
      }
    }
  };
  if (!signalGroup('SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await sleep(100);
  }
  signalGroup('SIGKILL');
  for (let i = 0; i < 50 && groupAlive(pid); i++) await sleep(100);
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' || isAlive(pid);
  }
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Polls `check` until it returns true or `timeoutMs` passes. `alive` lets the wait fail
 * fast when the server process has already died.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; alive?: () => boolean; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (opts.alive && !opts.alive()) {
      throw new Error(`${what} exited during start-up${tailHint(opts.logFile)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} not ready after ${opts.timeoutMs / 1000} s${tailHint(opts.logFile)}`,
      );
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

function tailHint(logFile?: string): string {
  if (!logFile || !existsSync(logFile)) return '';
  const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n  ');
  return `; last lines of ${logFile}:\n  ${lines}`;
}
