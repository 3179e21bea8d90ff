/**
 * Servers of a test's own (Temporal, MinIO or MLflow), started the way `stack up` starts
 * them but on free ports and in a temp folder, so that a test can crash one with SIGKILL
 * without disturbing the shared test stack other test files use. The servers a test does
 * not start come from the shared stack.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { endpointsOf, resolveStackOptions } from '../../lib/stack/index.ts';
import type { StackOptions } from '../../lib/stack/index.ts';
import { isAlive, readPid, spawnDetached, waitUntil } from '../../lib/stack/process.ts';
import { serviceSpecs } from '../../lib/stack/services.ts';
import type { ServiceSpec } from '../../lib/stack/services.ts';
import { tempDir } from './tmp.ts';

export type ServerName = ServiceSpec['name'];

/** A port nobody listens on now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class OwnServers {
  private constructor(
    readonly opts: StackOptions,
    private readonly names: ServerName[],
  ) {}

  /**
   * Starts `names` on free ports in a temp folder. MinIO gets the shared stack's
   * credentials, so the AWS variables the tests set reach both.
   */
  static async start(names: ServerName[]): Promise<OwnServers> {
    const dir = tempDir('augment-own-servers-');
    const [temporal, temporalUi, s3, s3Console, mlflow] = await Promise.all(
      Array.from({ length: 5 }, freePort),
    );
    const opts = resolveStackOptions(
      { dir, ports: { temporal, temporalUi, s3, s3Console, mlflow } },
      {},
    );
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(inject('stack').dir, 'credentials.json'), join(dir, 'credentials.json'));
    const own = new OwnServers(opts, names);
    await Promise.all(names.map((n) => own.startServer(n)));
    return own;
  }

  private pidFile(name: ServerName): string {
    return join(this.opts.dir, 'pids', `${name}.pid`);
  }

  /** Starts `name` on its ports and data folder and waits until it is usable. */
  async startServer(name: ServerName): Promise<void> {
    const spec = serviceSpecs(this.opts).find((s) => s.name === name)!;
    const proc = spawnDetached(spec.command, spec.args, {
      env: spec.env,
      logFile: join(this.opts.dir, 'logs', `${name}.log`),
      pidFile: this.pidFile(name),
    });
    await waitUntil(
      name,
      async () => {
        if (spec.prepare) await spec.prepare();
        return spec.healthy();
      },
      {
        timeoutMs: spec.startTimeoutS * 1000,
        alive: () => isAlive(proc.pid),
        logFile: proc.logFile,
      },
    );
  }

  /** SIGKILL to the server's whole process group (no shutdown of any kind); waits until gone. */
  async crash(name: ServerName): Promise<number> {
    const pid = readPid(this.pidFile(name));
    if (pid === undefined || !isAlive(pid)) throw new Error(`${name} is not running`);
    process.kill(-pid, 'SIGKILL');
    while (groupAlive(pid)) await sleep(50);
    return pid;
  }

  /**
   * SIGSTOP to the server's process group: it stops answering mid-request, so that a
   * client call in flight is still in flight when `crash` kills it.
   */
  freeze(name: ServerName): void {
    const pid = readPid(this.pidFile(name));
    if (pid === undefined || !isAlive(pid)) throw new Error(`${name} is not running`);
    process.kill(-pid, 'SIGSTOP');
  }

  /** The variables that point settings at these servers instead of the shared ones. */
  env(): Record<string, string> {
    const ep = endpointsOf(this.opts);
    return {
      ...(this.names.includes('temporal') ? { TEMPORAL_ADDRESS: ep.temporalAddress } : {}),
      ...(this.names.includes('s3') ? { AWS_ENDPOINT_URL_S3: ep.s3Endpoint } : {}),
      ...(this.names.includes('mlflow') ? { MLFLOW_TRACKING_URI: ep.mlflowUrl } : {}),
    };
  }

  /** Stops every server started here (SIGKILL: the data folder goes with the test). */
  async stop(): Promise<void> {
    for (const name of this.names) {
      const pid = readPid(this.pidFile(name));
      if (pid !== undefined && groupAlive(pid)) await this.crash(name);
    }
  }
}
