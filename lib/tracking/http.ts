import { setTimeout as sleep } from 'node:timers/promises';
import { MlflowError, secretScrubber } from './errors.ts';
import type { ResolvedClientOptions } from './options.ts';
import {
  backoffDelay,
  isRetryableNetworkCode,
  isRetryableStatus,
  networkErrorCode,
  retryAfterMs,
} from './retry.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type QueryValue = string | number | boolean | undefined | readonly string[];

/** One logical call; `send` may make several attempts of it. */
export interface HttpRequest {
  method: HttpMethod;
  /** Path under the tracking URI, starting with `/`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** JSON body (ignored when `body` is given). */
  json?: unknown;
  /**
   * Raw body. A function is called once per attempt, so a stream (a file upload) can be
   * re-opened when the call is retried.
   */
  body?: Uint8Array | string | (() => ReadableStream<Uint8Array>);
  contentType?: string;
  contentLength?: number;
  /** Overrides the client's per-request timeout. */
  timeoutMs?: number;
  /** False for calls that must answer fast or not at all (health checks). @default true */
  retry?: boolean;
}

/**
 * Fetch with MLflow's error format, auth, per-attempt timeouts and (opt-in) retries. The response
 * is consumed by `read` inside the attempt, so a connection dropped mid-body is retried
 * like any other transport failure.
 */
export class HttpClient {
  // Private fields stay out of util.inspect and JSON.stringify: the header never leaks.
  readonly #authorization: string | undefined;
  readonly #scrub: (text: string) => string;
  readonly #o: Omit<ResolvedClientOptions, 'authorization' | 'secrets'>;

  constructor(o: ResolvedClientOptions) {
    const { authorization, secrets, ...rest } = o;
    this.#authorization = authorization;
    this.#scrub = secretScrubber(secrets);
    this.#o = rest;
  }

  get baseUrl(): string {
    return this.#o.baseUrl;
  }

  /** Sends a request (retrying transient failures) and hands the response to `read`. */
  async send<T>(req: HttpRequest, read: (res: Response) => Promise<T>): Promise<T> {
    const policy = this.#o.retry;
    const attempts = req.retry === false ? 1 : policy.attempts;
    for (let attempt = 1; ; attempt++) {
      let err: MlflowError;
      let wait: number | undefined;
      try {
        return await this.#once(req, read);
      } catch (e) {
        if (!(e instanceof RetrySignal)) throw e;
        err = e.error;
        wait = e.retryAfterMs;
      }
      if (!err.retryable || attempt >= attempts) throw err.afterAttempts(attempt);
      const delay = Math.min(policy.maxDelayMs, Math.max(wait ?? 0, backoffDelay(attempt, policy)));
      this.#o.logger.warn(
        `${err.message}; retry ${attempt}/${attempts - 1} in ${Math.round(delay)} ms`,
      );
      await sleep(delay);
    }
  }

  /** A JSON call: GET payloads go into the query string, others into the body. */
  async json<T>(method: HttpMethod, path: string, payload?: Record<string, unknown>): Promise<T> {
    const req: HttpRequest =
      method === 'GET'
        ? { method, path, query: payload as Record<string, QueryValue> | undefined }
        : { method, path, json: payload ?? {} };
    return this.send(req, async (res) => {
      const text = await res.text();
      if (!text.trim()) return {} as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        // A 200 that is not JSON: a proxy's login page or a wrong URL prefix.
        throw new MlflowError({
          method,
          path,
          status: res.status,
          detail: `expected JSON, got ${JSON.stringify(this.#scrub(text.slice(0, 120)))}`,
          retryable: false,
        });
      }
    });
  }

  /** The response body as bytes. */
  bytes(req: HttpRequest): Promise<Uint8Array> {
    return this.send(req, async (res) => new Uint8Array(await res.arrayBuffer()));
  }

  #url(path: string, query?: Record<string, QueryValue>): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v as readonly string[]) qs.append(k, item);
      else qs.append(k, String(v));
    }
    const q = qs.toString();
    return `${this.#o.baseUrl}${path}${q ? `?${q}` : ''}`;
  }

  async #once<T>(req: HttpRequest, read: (res: Response) => Promise<T>): Promise<T> {
    const { method, path } = req;
    const headers: Record<string, string> = {};
    if (this.#authorization) headers.authorization = this.#authorization;
    let body: RequestInit['body'];
    if (req.body !== undefined) {
      body = typeof req.body === 'function' ? req.body() : req.body;
      headers['content-type'] = req.contentType ?? 'application/octet-stream';
      if (req.contentLength !== undefined) headers['content-length'] = String(req.contentLength);
    } else if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(req.timeoutMs ?? this.#o.timeoutMs),
    };
    // Streaming request bodies need half-duplex mode in Node's fetch.
    if (body instanceof ReadableStream) init.duplex = 'half';

    let res: Response;
    try {
      res = await fetch(this.#url(path, req.query), init);
    } catch (e) {
      throw this.#transport(method, path, e);
    }
    if (!res.ok) {
      let text = '';
      try {
        text = await res.text();
      } catch {
        // The error body is a nicety; the status is what matters.
      }
      const wait = retryAfterMs(res.headers.get('retry-after'));
      throw new RetrySignal(this.#httpError(method, path, res.status, text, wait), wait);
    }
    try {
      return await read(res);
    } catch (e) {
      if (e instanceof MlflowError) throw new RetrySignal(e);
      if (networkErrorCode(e) === undefined) throw e;
      throw this.#transport(method, path, e);
    }
  }

  #transport(method: string, path: string, e: unknown): RetrySignal {
    const code = networkErrorCode(e);
    const detail = code ? '' : this.#scrub(e instanceof Error ? e.message : String(e));
    return new RetrySignal(
      new MlflowError({
        method,
        path,
        status: 0,
        networkCode: code ?? 'UNKNOWN',
        detail,
        retryable: code !== undefined && isRetryableNetworkCode(code),
      }),
    );
  }

  #httpError(
    method: string,
    path: string,
    status: number,
    text: string,
    retryAfter: number | undefined,
  ): MlflowError {
    let errorCode: string | undefined;
    let detail = text;
    try {
      const j = JSON.parse(text) as { error_code?: unknown; message?: unknown; detail?: unknown };
      if (typeof j.error_code === 'string') errorCode = j.error_code;
      // MLflow's handlers answer {error_code, message}; its FastAPI routes answer {detail}.
      const msg = j.message ?? j.detail;
      if (msg !== undefined) detail = typeof msg === 'string' ? msg : JSON.stringify(msg);
    } catch {
      // Not JSON (a proxy's error page): keep the text.
    }
    // First line only: MLflow appends SQL statements and parameters to some messages.
    detail = (detail.split('\n')[0] ?? '').trim().slice(0, 400);
    return new MlflowError({
      method,
      path,
      status,
      errorCode,
      detail: this.#scrub(detail),
      retryable: isRetryableStatus(status),
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    });
  }
}

/** Carries an error (and the server's Retry-After) from one attempt to the retry loop. */
class RetrySignal {
  constructor(
    readonly error: MlflowError,
    readonly retryAfterMs?: number,
  ) {}
}
