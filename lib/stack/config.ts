import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: this file lives in lib/stack/, or in dist/lib/stack/ when compiled. */
export const PROJECT_ROOT = resolve(
  fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../..' : '../..', import.meta.url)),
);

/** Ports of one local stack. Two stacks (a developer's and the tests') differ only here. */
export interface StackPorts {
  /** Temporal frontend gRPC. @default 7233 */
  temporal: number;
  /** Temporal Web UI. @default 8233 */
  temporalUi: number;
  /** MinIO S3 API. @default 9000 */
  s3: number;
  /** MinIO console. @default 9001 */
  s3Console: number;
  /** MLflow tracking server and artifact proxy. @default 5000 */
  mlflow: number;
}

/** Everything needed to start, find and stop one local stack. */
export interface StackOptions {
  /** Folder for data, logs and pid files. @default <project>/.stack */
  dir: string;
  /** Bind address. Always loopback in this project. @default 127.0.0.1 */
  host: string;
  ports: StackPorts;
  /** Bucket created in MinIO for artifacts. @default augment */
  bucket: string;
  /** Temporal namespace that must be reachable. @default default */
  namespace: string;
}

export const DEFAULT_PORTS: StackPorts = {
  temporal: 7233,
  temporalUi: 8233,
  s3: 9000,
  s3Console: 9001,
  mlflow: 5000,
};

/** Ports the test suite uses, so it coexists with a developer's stack on the defaults. */
export const TEST_PORTS: StackPorts = {
  temporal: 17233,
  temporalUi: 18233,
  s3: 19000,
  s3Console: 19001,
  mlflow: 15000,
};

const PORT_ENV: Record<keyof StackPorts, string> = {
  temporal: 'STACK_TEMPORAL_PORT',
  temporalUi: 'STACK_TEMPORAL_UI_PORT',
  s3: 'STACK_S3_PORT',
  s3Console: 'STACK_S3_CONSOLE_PORT',
  mlflow: 'STACK_MLFLOW_PORT',
};

/**
 * Builds stack options: explicit overrides, then STACK_* environment variables, then
 * defaults. Invalid ports are rejected with the variable's name.
 */
export function resolveStackOptions(
  overrides: Partial<Omit<StackOptions, 'ports'>> & { ports?: Partial<StackPorts> } = {},
  env: NodeJS.ProcessEnv = process.env,
  base: StackPorts = DEFAULT_PORTS,
): StackOptions {
  const ports = { ...base };
  for (const key of Object.keys(PORT_ENV) as (keyof StackPorts)[]) {
    const raw = env[PORT_ENV[key]];
    if (raw !== undefined && raw !== '') ports[key] = parsePort(raw, PORT_ENV[key]);
    const given = overrides.ports?.[key];
    if (given !== undefined) ports[key] = parsePort(String(given), `ports.${key}`);
  }
  return {
    dir: resolve(overrides.dir ?? env.STACK_DIR ?? join(PROJECT_ROOT, '.stack')),
    host: overrides.host ?? '127.0.0.1',
    ports,
    bucket: overrides.bucket ?? env.STACK_BUCKET ?? 'augment',
    namespace: overrides.namespace ?? 'default',
  };
}

function parsePort(raw: string, name: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${name}: "${raw}" is not a port (expected an integer 1..65535)`);
  }
  return n;
}

/** Paths of the binaries that infra/setup.mjs installs. */
export function toolPaths(root = PROJECT_ROOT): {
  temporal: string;
  minio: string;
  mlflow: string;
} {
  const pipTemporal = join(root, '.venv', 'bin', 'temporal');
  return {
    temporal: existsSync(pipTemporal) ? pipTemporal : join(root, '.tools', 'bin', 'temporal'),
    minio: join(root, '.tools', 'bin', 'minio'),
    mlflow: join(root, '.venv', 'bin', 'mlflow'),
  };
}

/** Connection facts of a running stack, as printed by `stack status --json`. */
export interface StackEndpoints {
  temporalAddress: string;
  temporalUiUrl: string;
  namespace: string;
  s3Endpoint: string;
  s3ConsoleUrl: string;
  bucket: string;
  mlflowUrl: string;
}

export function endpointsOf(opts: StackOptions): StackEndpoints {
  const h = opts.host;
  return {
    temporalAddress: `${h}:${opts.ports.temporal}`,
    temporalUiUrl: `http://${h}:${opts.ports.temporalUi}`,
    namespace: opts.namespace,
    s3Endpoint: `http://${h}:${opts.ports.s3}`,
    s3ConsoleUrl: `http://${h}:${opts.ports.s3Console}`,
    bucket: opts.bucket,
    mlflowUrl: `http://${h}:${opts.ports.mlflow}`,
  };
}
