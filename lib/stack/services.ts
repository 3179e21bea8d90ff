import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Connection } from '@temporalio/client';
import { endpointsOf, toolPaths } from './config.ts';
import type { StackOptions } from './config.ts';

/** Local S3 credentials, generated once per stack folder and kept in a 0600 file. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export function stackCredentials(opts: StackOptions): S3Credentials;
export function stackCredentials(opts: StackOptions, create: false): S3Credentials | undefined;
export function stackCredentials(opts: StackOptions, create = true): S3Credentials | undefined {
  const file = join(opts.dir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as S3Credentials;
  if (!create) return undefined;
  mkdirSync(opts.dir, { recursive: true });
  const creds: S3Credentials = {
    accessKeyId: `augment-${randomBytes(4).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(creds), { mode: 0o600 });
  return creds;
}

/** How to start one server and how to tell that it is really usable. */
export interface ServiceSpec {
  name: 'temporal' | 's3' | 'mlflow';
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Ports the service binds; checked free before start. */
  ports: number[];
  /** Seconds to wait for readiness. */
  startTimeoutS: number;
  healthy: () => Promise<boolean>;
  /** Runs before each readiness check during start-up (e.g. creating the bucket). */
  prepare?: () => Promise<void>;
}

/**
 * The three servers of a stack. With `forStart` false (status checks) nothing is created
 * on disk, so asking about a stack never makes one appear to exist.
 */
export function serviceSpecs(opts: StackOptions, forStart = true): ServiceSpec[] {
  const tools = toolPaths();
  const ep = endpointsOf(opts);
  const creds = forStart ? stackCredentials(opts) : stackCredentials(opts, false);
  const dataDir = (name: string) => {
    const d = join(opts.dir, name);
    if (forStart) mkdirSync(d, { recursive: true });
    return d;
  };
  const s3 = creds ? s3ClientFor(opts.host, opts.ports.s3, creds) : undefined;
  return [
    {
      name: 'temporal',
      command: tools.temporal,
      args: [
        'server',
        'start-dev',
        '--ip',
        opts.host,
        '--port',
        String(opts.ports.temporal),
        '--ui-port',
        String(opts.ports.temporalUi),
        '--db-filename',
        join(dataDir('temporal'), 'temporal.db'),
        '--log-level',
        'warn',
        '--ui-disable-news-fetch',
      ],
      env: process.env,
      ports: [opts.ports.temporal, opts.ports.temporalUi],
      startTimeoutS: 60,
      healthy: () => temporalHealthy(ep.temporalAddress, opts.namespace),
    },
    {
      name: 's3',
      command: tools.minio,
      args: [
        'server',
        dataDir('minio'),
        '--address',
        `${opts.host}:${opts.ports.s3}`,
        '--console-address',
        `${opts.host}:${opts.ports.s3Console}`,
        '--quiet',
      ],
      env: {
        ...process.env,
        MINIO_ROOT_USER: creds?.accessKeyId,
        MINIO_ROOT_PASSWORD: creds?.secretAccessKey,
        MINIO_BROWSER_REDIRECT: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CALLHOME_ENABLE: 'off',
      },
      ports: [opts.ports.s3, opts.ports.s3Console],
      startTimeoutS: 60,
      healthy: async () => (s3 ? s3Healthy(s3, opts.bucket) : false),
      prepare: async () => (s3 ? ensureBucket(s3, opts.bucket) : undefined),
    },
    {
      name: 'mlflow',
      command: tools.mlflow,
      args: [
        'server',
        '--host',
        opts.host,
        '--port',
        String(opts.ports.mlflow),
        '--backend-store-uri',
        `sqlite:///${join(dataDir('mlflow'), 'mlflow.db')}`,
        '--serve-artifacts',
        '--artifacts-destination',
        dataDir('mlflow/artifacts'),
        '--workers',
        '1',
      ],
      env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
      ports: [opts.ports.mlflow],
      startTimeoutS: 120,
      healthy: () => mlflowHealthy(ep.mlflowUrl),
    },
  ];
}

function s3ClientFor(host: string, port: number, creds: S3Credentials): S3Client {
  return new S3Client({
    endpoint: `http://${host}:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: creds,
    maxAttempts: 1,
  });
}

/** Temporal is usable when its frontend answers DescribeNamespace for our namespace. */
export async function temporalHealthy(address: string, namespace: string): Promise<boolean> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address, connectTimeout: 1000 });
    await conn.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

async function s3Healthy(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch {
    return false;
  }
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

/** MLflow is usable when /health says OK and a real API call succeeds. */
export async function mlflowHealthy(url: string): Promise<boolean> {
  try {
    const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    if (!health.ok) return false;
    const api = await fetch(`${url}/api/2.0/mlflow/experiments/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ max_results: 1 }),
      signal: AbortSignal.timeout(5000),
    });
    return api.ok;
  } catch {
    return false;
  }
}
