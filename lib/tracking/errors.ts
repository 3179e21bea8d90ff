/** What a failed MLflow call was: enough to act on, never a credential. */
export interface MlflowErrorInit {
  method: string;
  /** Request path without the query string. */
  path: string;
  /** HTTP status, or 0 when no response arrived (connection error, timeout). */
  status: number;
  /** MLflow's `error_code` (`RESOURCE_DOES_NOT_EXIST`, ...), when the server sent one. */
  errorCode?: string;
  /** Transport failure code (`ECONNREFUSED`, `TIMEOUT`, ...) when status is 0. */
  networkCode?: string;
  /** Server message or transport description, already scrubbed of secrets. */
  detail: string;
  /** Whether another attempt could succeed (decided by the retry classification). */
  retryable: boolean;
  /** How long the server asked callers to wait (its Retry-After header), if it said. */
  retryAfterMs?: number;
}

/**
 * A failed MLflow REST call: HTTP status, MLflow's error code and which call (method and
 * path) failed. Holds no headers, query strings or tokens, so it is safe to log and to
 * send through Temporal as a failure.
 */
export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly networkCode: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** How many attempts were made before giving up (1 when not retried). */
  attempts = 1;

  constructor(init: MlflowErrorInit) {
    const what =
      init.status === 0
        ? `no response (${init.networkCode ?? 'network error'})`
        : `${init.status}${init.errorCode ? ` ${init.errorCode}` : ''}`;
    super(
      `MLflow ${init.method} ${init.path} failed: ${what}${init.detail ? `: ${init.detail}` : ''}`,
    );
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.networkCode = init.networkCode;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** True for MLflow's "not found" answers (404 or `RESOURCE_DOES_NOT_EXIST`). */
  get notFound(): boolean {
    return this.status === 404 || this.errorCode === 'RESOURCE_DOES_NOT_EXIST';
  }

  /** Records the attempt count; the message says so when the call was retried. */
  afterAttempts(attempts: number): this {
    this.attempts = attempts;
    if (attempts > 1) this.message += ` (after ${attempts} attempts)`;
    return this;
  }
}

/**
 * Bad input caught before any request is sent (invalid key, over-long value, unsafe
 * artifact path). Never retryable; `field` names what was wrong.
 */
export class TrackingInputError extends Error {
  override readonly name = 'TrackingInputError';
  /** Read by the activities' failure mapping: bad input fails without retries. */
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * Builds a function that replaces every secret (token, password, encoded auth header) in
 * a text with `***`. Secrets shorter than 4 characters are ignored: replacing them would
 * garble messages without protecting anything.
 */
export function secretScrubber(secrets: readonly (string | undefined)[]): (text: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  if (list.length === 0) return (text) => text;
  return (text) => list.reduce((acc, s) => acc.split(s).join('***'), text);
}

/** Hides `user:password@` in a URL-ish string before it is echoed in a message. */
export function hideUserInfo(uri: string): string {
  return uri.replace(/\/\/[^/@]*@/, '//***@');
}
