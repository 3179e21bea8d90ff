import { z } from 'zod';
import { ConfigError, issuesFromZod } from './errors.ts';

/**
 * Connection settings, read from the environment once at start-up. Secrets live only
 * here and in the clients built from them; `describeSettings` prints a redacted view.
 */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const boolFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v === 'true' || v === '1'));

const hostPort = z
  .string()
  .regex(
    /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/,
    'host:port, e.g. 127.0.0.1:7233 or my-ns.tmprl.cloud:7233',
  );

const artifactUri = z
  .string()
  .regex(
    /^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/\/.+)$/,
    's3://bucket/prefix or file:///absolute/dir',
  );

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL, e.g. http://127.0.0.1:5000');

export const connectionEnvSchema = z.object({
  TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Paths to a client certificate and key (mTLS, e.g. Temporal Cloud). */
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  /** Path to a CA bundle for a self-hosted cluster with its own CA. */
  TEMPORAL_TLS_CA: optionalString,
  TEMPORAL_TLS: boolFlag,
  /** Temporal Cloud API key (implies TLS). Secret. */
  TEMPORAL_API_KEY: optionalString,
  /**
   * 32-byte key (base64 or hex) that turns on AES-256-GCM encryption of every Temporal
   * payload (inputs, results, heartbeats). Every client and worker needs the same key. Secret.
   */
  TEMPORAL_PAYLOAD_KEY: optionalString.refine(
    (v) =>
      v === undefined ||
      /^[0-9a-fA-F]{64}$/.test(v.trim()) ||
      Buffer.from(v.trim(), 'base64').length === 32,
    '32 bytes as base64 or 64 hex characters',
  ),
  /** Prefix for task-queue names, so several deployments can share a namespace. */
  TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, . _ -')
    .default('augment'),
  ARTIFACT_URI: artifactUri.optional(),
  AWS_ENDPOINT_URL_S3: httpUrl.optional(),
  AWS_ENDPOINT_URL: httpUrl.optional(),
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  /** Force path-style S3 URLs (MinIO and most non-AWS servers). Default: on with an endpoint. */
  S3_FORCE_PATH_STYLE: boolFlag,
  MLFLOW_TRACKING_URI: httpUrl.optional(),
  /** Bearer token for a shared MLflow server. Secret. */
  MLFLOW_TRACKING_TOKEN: optionalString,
  MLFLOW_TRACKING_USERNAME: optionalString,
  /** Secret. */
  MLFLOW_TRACKING_PASSWORD: optionalString,
  MLFLOW_EXPERIMENT_NAME: z.string().min(1).default('recsys-augment'),
});

export type ConnectionEnv = z.infer<typeof connectionEnvSchema>;

/** Variables whose values are secrets: never printed, logged or tracked. */
export const SECRET_VARIABLES = [
  'TEMPORAL_API_KEY',
  'TEMPORAL_PAYLOAD_KEY',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'MLFLOW_TRACKING_TOKEN',
  'MLFLOW_TRACKING_PASSWORD',
] as const;

/** Connection settings in the shape the clients want. */
export interface ConnectionSettings {
  temporal: {
    address: string;
    namespace: string;
    taskQueuePrefix: string;
    tls?: { clientCertPath?: string; clientKeyPath?: string; caPath?: string };
    apiKey?: string;
    /** Payload encryption key (see TEMPORAL_PAYLOAD_KEY). */
    payloadKey?: string;
  };
  /** `s3://bucket/prefix` or `file:///dir`. */
  artifactUri: string;
  s3: { endpoint?: string; region: string; forcePathStyle: boolean };
  mlflow: {
    trackingUri: string;
    token?: string;
    username?: string;
    password?: string;
    experiment: string;
  };
}

export interface SettingsDefaults {
  /** Used when ARTIFACT_URI is unset. */
  artifactUri: string;
  /** Used when MLFLOW_TRACKING_URI is unset. */
  mlflowUri: string;
}

/**
 * Reads and validates connection settings. Errors name the variable, its (redacted)
 * value and what was expected.
 */
export function loadConnectionSettings(
  env: NodeJS.ProcessEnv,
  defaults: SettingsDefaults,
): ConnectionSettings {
  const parsed = connectionEnvSchema.safeParse(env);
  if (!parsed.success) {
    const secret = new Set<string>(SECRET_VARIABLES);
    throw new ConfigError(
      'environment',
      issuesFromZod(parsed.error, env, { redact: (f) => secret.has(f) }),
    );
  }
  const e = parsed.data;
  if ((e.TEMPORAL_TLS_CERT === undefined) !== (e.TEMPORAL_TLS_KEY === undefined)) {
    throw new ConfigError('environment', [
      {
        field: e.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT',
        value: undefined,
        expected: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to be set together',
      },
    ]);
  }
  const useTls =
    e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_API_KEY);
  const endpoint = e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL;
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueuePrefix: e.TASK_QUEUE_PREFIX,
      tls: useTls
        ? {
            clientCertPath: e.TEMPORAL_TLS_CERT,
            clientKeyPath: e.TEMPORAL_TLS_KEY,
            caPath: e.TEMPORAL_TLS_CA,
          }
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
      payloadKey: e.TEMPORAL_PAYLOAD_KEY,
    },
    artifactUri: e.ARTIFACT_URI ?? defaults.artifactUri,
    s3: {
      endpoint,
      region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? endpoint !== undefined,
    },
    mlflow: {
      trackingUri: e.MLFLOW_TRACKING_URI ?? defaults.mlflowUri,
      token: e.MLFLOW_TRACKING_TOKEN,
      username: e.MLFLOW_TRACKING_USERNAME,
      password: e.MLFLOW_TRACKING_PASSWORD,
      experiment: e.MLFLOW_EXPERIMENT_NAME,
    },
  };
}

/** A printable view of the settings with every secret replaced by `***`. */
export function describeSettings(s: ConnectionSettings): Record<string, string> {
  return {
    temporal: `${s.temporal.address} namespace=${s.temporal.namespace}${s.temporal.tls ? ' tls' : ''}${
      s.temporal.apiKey ? ' apiKey=***' : ''
    }${s.temporal.payloadKey ? ' payloads=encrypted' : ''}`,
    artifacts: s.artifactUri,
    s3: s.s3.endpoint ? `${s.s3.endpoint} region=${s.s3.region}` : `AWS region=${s.s3.region}`,
    mlflow: `${s.mlflow.trackingUri}${s.mlflow.token ? ' token=***' : ''} experiment=${s.mlflow.experiment}`,
  };
}

/** The secret values present in an environment, for scrubbing logs and reports. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return SECRET_VARIABLES.map((k) => env[k]).filter(
    (v): v is string => typeof v === 'string' && v.length >= 4,
  );
}
