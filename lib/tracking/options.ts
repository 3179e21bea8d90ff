import { hideUserInfo } from './errors.ts';
import { resolveRetry } from './retry.ts';
import type { RetryPolicy } from './retry.ts';

/** Where the client reports retries and notable events. */
export interface TrackingLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** What to do with a param value longer than MLflow stores (6000 characters). */
export type LongParamPolicy = 'truncate' | 'error';

/** Everything but the server address. */
export interface MlflowClientSettings {
  /** Bearer token (shared servers). Sent only in the Authorization header, never logged. */
  token?: string;
  /** Basic auth (MLflow's built-in auth app). Mutually exclusive with `token`. */
  username?: string;
  password?: string;
  /**
   * Client-side retries on 5xx, 429 and connection errors; off by default (one attempt),
   * since activities leave retrying to Temporal. @default { attempts: 1, baseDelayMs: 250, maxDelayMs: 10000 }
   */
  retry?: Partial<RetryPolicy>;
  /**
   * Per-request timeout for API calls: short, so a hung server fails the attempt well
   * inside the tracking activity's 1-minute limit and Temporal retries it. @default 10000
   */
  timeoutMs?: number;
  /** Per-request timeout for artifact uploads and downloads. @default 600000 */
  artifactTimeoutMs?: number;
  /** Over-long param values: cut with a visible marker, or refuse. @default 'truncate' */
  longParams?: LongParamPolicy;
  logger?: TrackingLogger;
}

/** Client options: the server as `trackingUri` (`http(s)://host:port[/prefix]`) plus settings. */
export type MlflowClientOptions = MlflowClientSettings & { trackingUri: string };

/** Options after validation, with defaults filled in and auth compiled into a header. */
export interface ResolvedClientOptions {
  /** Server URL without credentials or trailing slash. */
  baseUrl: string;
  authorization: string | undefined;
  /** Values that must never appear in messages or logs. */
  secrets: string[];
  retry: RetryPolicy;
  timeoutMs: number;
  artifactTimeoutMs: number;
  longParams: LongParamPolicy;
  logger: TrackingLogger;
}

const quiet: TrackingLogger = { info: () => {}, warn: () => {} };

/**
 * Validates options once, at construction, with messages that name the option. Credentials
 * written into the URI (`http://user:pass@host`) become basic auth and leave the URL, so
 * they can never show up in an error that quotes it.
 */
export function resolveClientOptions(o: MlflowClientOptions): ResolvedClientOptions {
  const raw = o.trackingUri;
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new TypeError('trackingUri is required (http(s)://host:port)');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new TypeError(`trackingUri ${JSON.stringify(hideUserInfo(raw))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(
      `trackingUri must be http(s)://host:port[/prefix], got ${url.protocol}// (this client speaks MLflow's REST API only)`,
    );
  if (url.search || url.hash)
    throw new TypeError('trackingUri must not have a query string or fragment');

  let username = o.username;
  let password = o.password;
  if (url.username || url.password) {
    if (o.token !== undefined || o.username !== undefined)
      throw new TypeError(
        'trackingUri carries credentials and token/username are set too; use one',
      );
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
  }
  if (o.token !== undefined && username !== undefined)
    throw new TypeError('set either token or username/password, not both');
  if (password !== undefined && username === undefined)
    throw new TypeError('password is set without username');

  let authorization: string | undefined;
  const secrets: string[] = [];
  if (o.token !== undefined) {
    if (o.token === '') throw new TypeError('token is empty');
    authorization = `Bearer ${o.token}`;
    secrets.push(o.token);
  } else if (username !== undefined) {
    const encoded = Buffer.from(`${username}:${password ?? ''}`).toString('base64');
    authorization = `Basic ${encoded}`;
    secrets.push(encoded);
    if (password) secrets.push(password);
  }

  const timeoutMs = o.timeoutMs ?? 10_000;
  const artifactTimeoutMs = o.artifactTimeoutMs ?? 600_000;
  for (const [name, v] of [
    ['timeoutMs', timeoutMs],
    ['artifactTimeoutMs', artifactTimeoutMs],
  ] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be > 0 ms, got ${v}`);
  }
  const longParams = o.longParams ?? 'truncate';
  if (longParams !== 'truncate' && longParams !== 'error')
    throw new TypeError(`longParams must be 'truncate' or 'error', got ${String(longParams)}`);

  return {
    baseUrl: url.toString().replace(/\/+$/, ''),
    authorization,
    secrets,
    retry: resolveRetry(o.retry),
    timeoutMs,
    artifactTimeoutMs,
    longParams,
    logger: o.logger ?? quiet,
  };
}
