/**
 * How the client itself retries transient failures. Off by default: inside activities
 * Temporal's retry policy is the one retry layer (see createTracker); code that calls
 * MLflow outside an activity opts in with a small explicit policy.
 */
export interface RetryPolicy {
  /** Attempts per call, the first one included (1 = no retries). @default 1 */
  attempts: number;
  /** Backoff before the first retry; doubles per retry. @default 250 */
  baseDelayMs: number;
  /** Longest wait between two attempts, Retry-After included. @default 10000 */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 1, baseDelayMs: 250, maxDelayMs: 10_000 };

/**
 * HTTP statuses worth another attempt: every 5xx and 429 (throttling). Other 4xx mean
 * the request itself is wrong; sending it again cannot help.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Transport failures worth another attempt: the server was down, restarting, overloaded
 * or the network dropped the connection. DNS names that do not exist, TLS certificate
 * problems and caller cancellations are not: retrying would only delay the same error.
 */
const RETRYABLE_NETWORK_CODES = new Set([
  'TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export function isRetryableNetworkCode(code: string): boolean {
  return RETRYABLE_NETWORK_CODES.has(code);
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * The transport code of a fetch failure, looking through undici's wrapping
 * (`TypeError: fetch failed` -> cause -> code, or an AggregateError of per-address errors).
 * Our per-request timeout surfaces as `TIMEOUT`, a caller's abort as `ABORTED`.
 * Returns undefined for errors that are not transport failures (a bug, a full disk, ...).
 */
export function networkErrorCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    const e = cur as ErrorLike;
    if (e.name === 'TimeoutError') return 'TIMEOUT';
    if (e.name === 'AbortError') return 'ABORTED';
    if (typeof e.code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(e.code)) {
      // A filesystem error (ENOSPC, EACCES on a download target) is not a network error.
      if ('syscall' in e && 'path' in e) return undefined;
      return e.code;
    }
    if (Array.isArray(e.errors) && e.errors.length > 0) cur = e.errors[0];
    else cur = e.cause;
  }
  // undici reports a socket closed mid-body as a bare `TypeError: terminated`.
  if (err instanceof TypeError && err.message === 'terminated') return 'ECONNRESET';
  return undefined;
}

/**
 * Wait before retry number `retry` (1-based): exponential backoff with "equal jitter" -
 * half the exponential step is fixed so a restarting server gets real breathing room,
 * the other half is random so many clients do not retry in lockstep.
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return step / 2 + random() * (step / 2);
}

/**
 * A server's Retry-After header (seconds or an HTTP date) in milliseconds, or undefined
 * when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Validates a partial policy and fills in defaults. */
export function resolveRetry(p: Partial<RetryPolicy> = {}): RetryPolicy {
  const r = { ...DEFAULT_RETRY, ...p };
  if (!Number.isInteger(r.attempts) || r.attempts < 1)
    throw new RangeError(`retry.attempts must be an integer >= 1, got ${r.attempts}`);
  if (!(r.baseDelayMs >= 0))
    throw new RangeError(`retry.baseDelayMs must be >= 0, got ${r.baseDelayMs}`);
  if (!(r.maxDelayMs >= r.baseDelayMs))
    throw new RangeError(`retry.maxDelayMs must be >= baseDelayMs, got ${r.maxDelayMs}`);
  return r;
}
