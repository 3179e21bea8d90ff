import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpointsOf, resolveStackOptions } from './config.ts';
import type { StackOptions } from './config.ts';
import {
  isAlive,
  killGroup,
  portOpen,
  readPid,
  removeFile,
  spawnDetached,
  waitUntil,
} from './process.ts';
import { serviceSpecs, stackCredentials } from './services.ts';
import type { ServiceSpec } from './services.ts';

export { resolveStackOptions, endpointsOf, DEFAULT_PORTS, TEST_PORTS } from './config.ts';
export type { StackOptions, StackEndpoints, StackPorts } from './config.ts';
export { stackCredentials } from './services.ts';

/** The shape `stack status --json` prints. */
export interface StackStatus {
  temporal: { healthy: boolean; address: string; namespace: string; ui: string; pid?: number };
  s3: { healthy: boolean; endpoint: string; bucket: string; console: string; pid?: number };
  mlflow: { healthy: boolean; url: string; pid?: number };
}

export interface UpResult {
  status: StackStatus;
  /** Per service: `reused` (already up) or `started`, with seconds to ready. */
  services: { name: string; action: 'reused' | 'started'; seconds: number }[];
  seconds: number;
}

type Progress = (msg: string) => void;

const pidFile = (opts: StackOptions, name: string) => join(opts.dir, 'pids', `${name}.pid`);
const logFile = (opts: StackOptions, name: string) => join(opts.dir, 'logs', `${name}.log`);

/**
 * Starts whatever part of the stack is not already healthy, in parallel, and waits until
 * every server is really usable. Reuses healthy servers (started by us or by hand).
 */
export async function stackUp(
  opts: StackOptions = resolveStackOptions(),
  progress?: Progress,
): Promise<UpResult> {
  const t0 = Date.now();
  const specs = serviceSpecs(opts);
  const services = await Promise.all(specs.map((spec) => bringUp(opts, spec, progress)));
  writeEnvFile(opts);
  const status = await stackStatus(opts);
  const unhealthy = Object.entries(status).filter(([, s]) => !s.healthy);
  if (unhealthy.length > 0) {
    throw new Error(`stack not healthy after start: ${unhealthy.map(([n]) => n).join(', ')}`);
  }
  return { status, services, seconds: (Date.now() - t0) / 1000 };
}

async function bringUp(opts: StackOptions, spec: ServiceSpec, progress?: Progress) {
  const t0 = Date.now();
  const seconds = () => (Date.now() - t0) / 1000;
  if (await spec.healthy()) {
    progress?.(`${spec.name}: already up`);
    return { name: spec.name, action: 'reused' as const, seconds: seconds() };
  }
  const oldPid = readPid(pidFile(opts, spec.name));
  if (oldPid !== undefined && isAlive(oldPid)) {
    // Ours but not healthy (still starting, or wedged): give it the start-up window first.
    progress?.(`${spec.name}: process ${oldPid} is running but not ready; waiting`);
    const ok = await waitUntil(spec.name, readiness(spec), {
      timeoutMs: spec.startTimeoutS * 1000,
      alive: () => isAlive(oldPid),
    }).then(
      () => true,
      () => false,
    );
    if (ok) return { name: spec.name, action: 'reused' as const, seconds: seconds() };
    progress?.(`${spec.name}: restarting wedged process ${oldPid}`);
    await killGroup(oldPid);
  }
  for (const port of spec.ports) {
    if (await portOpen(opts.host, port)) {
      throw new Error(
        `${spec.name}: port ${opts.host}:${port} is taken by another program; ` +
          `free it or choose other ports (STACK_*_PORT variables or --*-port flags)`,
      );
    }
  }
  progress?.(`${spec.name}: starting`);
  const proc = spawnDetached(spec.command, spec.args, {
    env: spec.env,
    logFile: logFile(opts, spec.name),
    pidFile: pidFile(opts, spec.name),
  });
  await waitUntil(spec.name, readiness(spec), {
    timeoutMs: spec.startTimeoutS * 1000,
    alive: () => isAlive(proc.pid),
    logFile: proc.logFile,
  });
  progress?.(`${spec.name}: ready in ${seconds().toFixed(1)} s`);
  return { name: spec.name, action: 'started' as const, seconds: seconds() };
}

function readiness(spec: ServiceSpec): () => Promise<boolean> {
  return async () => {
    if (spec.prepare) await spec.prepare();
    return spec.healthy();
  };
}

/** Health of each server, without starting anything. */
export async function stackStatus(
  opts: StackOptions = resolveStackOptions(),
): Promise<StackStatus> {
  const ep = endpointsOf(opts);
  const specs = Object.fromEntries(serviceSpecs(opts, false).map((s) => [s.name, s]));
  const [t, s, m] = await Promise.all(['temporal', 's3', 'mlflow'].map((n) => specs[n]!.healthy()));
  const pid = (name: string) => {
    const p = readPid(pidFile(opts, name));
    return p !== undefined && isAlive(p) ? p : undefined;
  };
  return {
    temporal: {
      healthy: t!,
      address: ep.temporalAddress,
      namespace: ep.namespace,
      ui: ep.temporalUiUrl,
      pid: pid('temporal'),
    },
    s3: {
      healthy: s!,
      endpoint: ep.s3Endpoint,
      bucket: ep.bucket,
      console: ep.s3ConsoleUrl,
      pid: pid('s3'),
    },
    mlflow: { healthy: m!, url: ep.mlflowUrl, pid: pid('mlflow') },
  };
}

/** Stops every server this stack folder started and waits until none is left. */
export async function stackDown(
  opts: StackOptions = resolveStackOptions(),
  progress?: Progress,
): Promise<{ stopped: string[] }> {
  const names = ['temporal', 's3', 'mlflow'] as const;
  const done = await Promise.all(names.map((name) => stopService(opts, name, progress)));
  return { stopped: names.filter((_, k) => done[k]) };
}

/**
 * Stops one server this stack folder started (also used to inject outages in tests);
 * `stackUp` brings it back with its data. Returns whether it was running.
 */
export async function stopService(
  opts: StackOptions,
  name: ServiceSpec['name'],
  progress?: Progress,
): Promise<boolean> {
  const file = pidFile(opts, name);
  const pid = readPid(file);
  let stopped = false;
  if (pid !== undefined && isAlive(pid)) {
    progress?.(`${name}: stopping pid ${pid}`);
    await killGroup(pid);
    stopped = true;
  }
  removeFile(file);
  return stopped;
}

/**
 * Writes `<dir>/env`: the variables that point the pipeline at this stack, for
 * `source .stack/env` in a shell. The file holds the local S3 secret, so it is 0600.
 */
function writeEnvFile(opts: StackOptions): void {
  const lines = Object.entries(stackEnvironment(opts)).map(([k, v]) => `export ${k}=${v}`);
  writeFileSync(join(opts.dir, 'env'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** Environment variables that point the pipeline at a local stack (for workers and tests). */
export function stackEnvironment(opts: StackOptions): Record<string, string> {
  const ep = endpointsOf(opts);
  const creds = stackCredentials(opts);
  return {
    TEMPORAL_ADDRESS: ep.temporalAddress,
    TEMPORAL_NAMESPACE: ep.namespace,
    ARTIFACT_URI: `s3://${ep.bucket}/artifacts`,
    AWS_ENDPOINT_URL_S3: ep.s3Endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    MLFLOW_TRACKING_URI: ep.mlflowUrl,
  };
}

/** True when this stack folder has ever been started (so its state can be reused). */
export function stackExists(opts: StackOptions): boolean {
  return existsSync(join(opts.dir, 'credentials.json'));
}
