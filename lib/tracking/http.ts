import { setTimeout as sleep } from 'node:timers/promises';

/** An MLflow API error: status, MLflow's error code, and which call failed. Never holds secrets. */
export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly errorCode: string | undefined,
    detail: string,
  ) {
    super(
      `MLflow ${method} ${path} failed: ${status}${errorCode ? ` ${errorCode}` : ''} ${detail}`.trim(),
    );
  }

  /** Server trouble or throttling: worth another attempt. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface HttpOptions {
  baseUrl: string;
  /** Bearer token (shared servers). Sent only in the Authorization header. */
  token?: string;
  username?: string;
  password?: string;
  /** Attempts per call for retryable failures. @default 5 */
  attempts?: number;
  /** First backoff delay; doubles per attempt, with jitter. @default 250 ms */
  baseDelayMs?: number;
  /** Per-request timeout. @default 30 s */
  timeoutMs?: number;
  logger?: { warn(msg: string): void };
}

/**
 * JSON-over-HTTP with retries on 5xx, 429, timeouts and connection errors (exponential
 * backoff with full jitter). 4xx other than 429 fail at once: retrying cannot fix them.
 */
export class HttpClient {
  private readonly auth?: string;

  constructor(private readonly o: HttpOptions) {
    if (o.token) this.auth = `Bearer ${o.token}`;
    else if (o.username !== undefined) {
      this.auth = `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}`;
    }
  }

  get baseUrl(): string {
    return this.o.baseUrl.replace(/\/+$/, '');
  }

  /** Sends a request and returns the raw response body (for downloads). */
  async raw(
    method: string,
    path: string,
    body?: Uint8Array | string,
    contentType?: string,
  ): Promise<Uint8Array> {
    const attempts = this.o.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, body, contentType);
      } catch (err) {
        const e = err as MlflowError;
        if (!(e instanceof MlflowError) || !e.retryable || attempt >= attempts) throw err;
        const delay = Math.random() * (this.o.baseDelayMs ?? 250) * 2 ** (attempt - 1);
        this.o.logger?.warn(
          `${e.message}; retry ${attempt}/${attempts - 1} in ${Math.round(delay)} ms`,
        );
        await sleep(delay);
      }
    }
  }

  async json<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    payload?: unknown,
  ): Promise<T> {
    let url = path;
    let body: string | undefined;
    if (method === 'GET' && payload)
      url += `?${new URLSearchParams(payload as Record<string, string>).toString()}`;
    else if (payload !== undefined) body = JSON.stringify(payload);
    const bytes = await this.raw(method, url, body, body ? 'application/json' : undefined);
    const text = Buffer.from(bytes).toString('utf8');
    return (text ? JSON.parse(text) : {}) as T;
  }

  private async once(
    method: string,
    path: string,
    body?: Uint8Array | string,
    contentType?: string,
  ) {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (this.auth) headers.authorization = this.auth;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (err) {
      // Connection refused/reset or timeout: status 0, retryable.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new MlflowError(method, stripQuery(path), 0, undefined, `(${cause})`);
    }
    const buf = new Uint8Array(await res.arrayBuffer());
    if (res.ok) return buf;
    let code: string | undefined;
    let message = Buffer.from(buf).toString('utf8').slice(0, 300);
    try {
      const j = JSON.parse(message) as { error_code?: string; message?: string };
      code = j.error_code;
      message = j.message ?? message;
    } catch {
      // Not JSON (proxy error page): keep the text.
    }
    throw new MlflowError(method, stripQuery(path), res.status, code, message);
  }
}

function stripQuery(path: string): string {
  return path.split('?')[0]!;
}
