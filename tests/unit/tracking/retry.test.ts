import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY,
  backoffDelay,
  isRetryableNetworkCode,
  isRetryableStatus,
  networkErrorCode,
  resolveClientOptions,
  retryAfterMs,
} from '../../../lib/tracking/index.ts';

/** undici's shape: `TypeError('fetch failed')` with the socket error as cause. */
const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });
const sysErr = (code: string, extra: object = {}) =>
  Object.assign(new Error(code), { code, syscall: 'connect', ...extra });

describe('retry classification', () => {
  it.each([
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [429, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [408, false],
    [409, false],
    [200, false],
  ])('status %i retryable: %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });

  it.each([
    [fetchFailed(sysErr('ECONNREFUSED')), 'ECONNREFUSED', true],
    [fetchFailed(sysErr('ECONNRESET')), 'ECONNRESET', true],
    [
      fetchFailed(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' })),
      'UND_ERR_SOCKET',
      true,
    ],
    [
      fetchFailed(new AggregateError([sysErr('ECONNREFUSED'), sysErr('ECONNREFUSED')])),
      'ECONNREFUSED',
      true,
    ],
    [new DOMException('timed out', 'TimeoutError'), 'TIMEOUT', true],
    [new TypeError('terminated'), 'ECONNRESET', true],
    [fetchFailed(sysErr('ENOTFOUND', { syscall: 'getaddrinfo' })), 'ENOTFOUND', false],
    [fetchFailed(Object.assign(new Error('cert'), { code: 'CERT_HAS_EXPIRED' })), undefined, false],
    [new DOMException('aborted', 'AbortError'), 'ABORTED', false],
  ])('%s -> %s (retryable %s)', (err, code, retryable) => {
    expect(networkErrorCode(err)).toBe(code);
    expect(code !== undefined && isRetryableNetworkCode(code)).toBe(retryable);
  });

  it('does not mistake filesystem errors or bugs for network errors', () => {
    expect(networkErrorCode(sysErr('ENOSPC', { syscall: 'write', path: '/x' }))).toBeUndefined();
    expect(networkErrorCode(new RangeError('bug'))).toBeUndefined();
    expect(networkErrorCode(fetchFailed(new Error('invalid')))).toBeUndefined();
  });
});

describe('backoff', () => {
  const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles per retry with equal jitter and stays under the cap', () => {
    for (const [retry, step] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
      [5, 1000],
      [12, 1000],
    ] as const) {
      expect(backoffDelay(retry, policy, () => 0)).toBe(step / 2);
      expect(backoffDelay(retry, policy, () => 1)).toBe(step);
    }
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('validates the policy once, at construction', () => {
    const base = { trackingUri: 'http://127.0.0.1:5000' };
    expect(resolveClientOptions(base).retry).toEqual(DEFAULT_RETRY);
    expect(() => resolveClientOptions({ ...base, retry: { attempts: 0 } })).toThrow(/attempts/);
    expect(() => resolveClientOptions({ ...base, retry: { baseDelayMs: -1 } })).toThrow(
      /baseDelay/,
    );
  });
});

describe('client options', () => {
  it('accepts http(s) URIs with a path prefix and drops the trailing slash', () => {
    expect(resolveClientOptions({ trackingUri: 'https://ml.example.com/mlflow/' }).baseUrl).toBe(
      'https://ml.example.com/mlflow',
    );
    expect(resolveClientOptions({ trackingUri: 'http://127.0.0.1:5000' }).baseUrl).toBe(
      'http://127.0.0.1:5000',
    );
  });

  it.each([
    ['databricks', /not a URL/],
    ['file:///tmp/mlruns', /http\(s\)/],
    ['http://h:5000/?x=1', /query/],
    ['', /required/],
  ])('rejects %j', (uri, msg) => {
    expect(() => resolveClientOptions({ trackingUri: uri })).toThrow(msg);
  });

  it('turns credentials in the URI into basic auth and strips them from the URL', () => {
    const o = resolveClientOptions({ trackingUri: 'http://ann:p%40ss-word@127.0.0.1:5000' });
    expect(o.baseUrl).toBe('http://127.0.0.1:5000');
    expect(o.authorization).toBe(`Basic ${Buffer.from('ann:p@ss-word').toString('base64')}`);
    expect(o.secrets).toContain('p@ss-word');
  });

  it('refuses ambiguous auth', () => {
    expect(() =>
      resolveClientOptions({ trackingUri: 'http://h', token: 'abcd', username: 'u' }),
    ).toThrow(/either token or username/);
    const err = (() => {
      try {
        resolveClientOptions({ trackingUri: 'http://u:secretpw@h', token: 'abcd' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/credentials/);
    expect(err?.message).not.toContain('secretpw');
  });
});
