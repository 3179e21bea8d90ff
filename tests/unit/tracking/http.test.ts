import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MlflowClient, MlflowError, TrackingInputError } from '../../../lib/tracking/index.ts';
import type { MlflowClientSettings } from '../../../lib/tracking/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

/**
 * Retry and protocol behaviour against a scripted HTTP server on 127.0.0.1. Everything
 * about MLflow itself is tested against a real server in tests/integration/tracking.
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
type Step = (res: ServerResponse, req: IncomingMessage) => void;

let script: Step[] = [];
let seen: Seen[] = [];
let server: Server;
let url: string;
const dir = tempDir();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const step = script.shift() ?? ((r) => r.end(req.url === '/health' ? 'OK' : '{}'));
      step(res, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  seen = [];
});

const reply =
  (code: number, body: unknown = {}, headers: Record<string, string> = {}): Step =>
  (res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const mlflowError = (code: number, errorCode: string, message: string) =>
  reply(code, { error_code: errorCode, message });
const drop: Step = (_res, req) => req.socket.destroy();

function client(extra: MlflowClientSettings = {}, uri = url) {
  const logs: string[] = [];
  const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
  const c = new MlflowClient({
    trackingUri: uri,
    retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
    logger,
    ...extra,
  });
  return { c, logs };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as MlflowError,
  );

describe('retries', () => {
  it('by default makes one attempt and says whether another could succeed', async () => {
    // Activities leave retrying to Temporal: the client must not add a second layer.
    script = [reply(503, {}, { 'retry-after': '7' }), reply(200, { experiment_id: '6' })];
    const logs: string[] = [];
    const c = new MlflowClient({
      trackingUri: url,
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    });
    const err = await failure(c.createExperiment('x'));
    expect(err).toMatchObject({ status: 503, retryable: true, attempts: 1, retryAfterMs: 7000 });
    expect(err.message).not.toMatch(/attempts/);
    expect(seen).toHaveLength(1);
    expect(logs).toEqual([]);
  });

  it('retries 503 twice and then succeeds', async () => {
    script = [reply(503), reply(503), reply(200, { experiment_id: '7' })];
    const { c, logs } = client();
    expect(await c.createExperiment('x')).toBe('7');
    expect(seen).toHaveLength(3);
    expect(logs.filter((l) => /503.*retry \d\/3/.test(l))).toHaveLength(2);
  });

  it('retries 429 and honours a short Retry-After', async () => {
    script = [reply(429, {}, { 'retry-after': '0' }), reply(200, { experiment_id: '8' })];
    expect(await client().c.createExperiment('x')).toBe('8');
    expect(seen).toHaveLength(2);
  });

  it('does not retry a 400 and reports status, MLflow error code, method and path', async () => {
    script = [mlflowError(400, 'INVALID_PARAMETER_VALUE', 'bad name\nSQL: INSERT ...')];
    const err = await failure(client().c.createExperiment('x'));
    expect(err).toBeInstanceOf(MlflowError);
    expect(err).toMatchObject({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      method: 'POST',
      path: '/api/2.0/mlflow/experiments/create',
      retryable: false,
      attempts: 1,
    });
    expect(err.message).toBe(
      'MLflow POST /api/2.0/mlflow/experiments/create failed: 400 INVALID_PARAMETER_VALUE: bad name',
    );
    expect(seen).toHaveLength(1);
  });

  it('treats a missing experiment as undefined without retrying', async () => {
    script = [mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'nope')];
    expect(await client().c.getExperimentByName('nope')).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/api/2.0/mlflow/experiments/get-by-name?experiment_name=nope');
  });

  it('retries a dropped connection', async () => {
    script = [drop, reply(200, { experiment_id: '9' })];
    expect(await client().c.createExperiment('x')).toBe('9');
    expect(seen).toHaveLength(2);
  });

  it('retries a response cut off mid-body', async () => {
    script = [
      (res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('{"experiment_id":');
        setTimeout(() => res.destroy(), 20);
      },
      reply(200, { experiment_id: '10' }),
    ];
    expect(await client().c.createExperiment('x')).toBe('10');
    expect(seen).toHaveLength(2);
  });

  it('times out slow responses and retries them', async () => {
    script = [(res) => setTimeout(() => res.end('{}'), 1500), reply(200, { experiment_id: '11' })];
    expect(await client({ timeoutMs: 200 }).c.createExperiment('x')).toBe('11');
    expect(seen).toHaveLength(2);
  });

  it('retries a refused connection and then reports it with the attempt count', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { c, logs } = client(
      { retry: { attempts: 3, baseDelayMs: 1 } },
      `http://127.0.0.1:${port}`,
    );
    const err = await failure(c.getRun('abc'));
    expect(err).toMatchObject({
      status: 0,
      networkCode: 'ECONNREFUSED',
      retryable: true,
      attempts: 3,
    });
    expect(err.message).toMatch(
      /GET \/api\/2.0\/mlflow\/runs\/get failed: no response \(ECONNREFUSED\).*after 3 attempts/,
    );
    expect(logs).toHaveLength(2);
  });

  it('gives up after the configured attempts', async () => {
    script = [reply(500), reply(500), reply(500), reply(500), reply(200)];
    const err = await failure(client().c.createExperiment('x'));
    expect(err).toMatchObject({ status: 500, attempts: 4 });
    expect(seen).toHaveLength(4);
  });

  it('does not retry a 200 that is not JSON (wrong URL prefix, login page)', async () => {
    script = [reply(200, '<html>login</html>')];
    const err = await failure(client().c.createExperiment('x'));
    expect(err.message).toMatch(/expected JSON/);
    expect(seen).toHaveLength(1);
  });
});

describe('auth', () => {
  it('sends the token as a bearer header and never shows it in errors, logs or inspect()', async () => {
    const token = 'tok-secret-123456';
    // A server (or proxy) that echoes the credentials back in its error message.
    script = [
      (res, req) => reply(503, { message: `bad ${req.headers.authorization}` })(res, req),
      (res, req) =>
        reply(401, { error_code: 'UNAUTHENTICATED', message: `no ${req.headers.authorization}` })(
          res,
          req,
        ),
    ];
    const { c, logs } = client({ token });
    const err = await failure(c.createExperiment('x'));
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(err.errorCode).toBe('UNAUTHENTICATED');
    for (const text of [
      err.message,
      JSON.stringify(err),
      inspect(err),
      inspect(c, { depth: 5 }),
      ...logs,
    ])
      expect(text).not.toContain(token);
    expect(err.message).toContain('no Bearer ***');
  });

  it('sends basic auth for username/password, also when given in the URI', async () => {
    await client({ username: 'ann', password: 'pw-123456' }).c.getExperimentByName('e');
    const uri = url.replace('//', '//bob:s3cret-pw@');
    const { c } = client({}, uri);
    await c.getExperimentByName('e');
    expect(c.url).toBe(url);
    expect(seen.map((s) => s.headers.authorization)).toEqual([
      `Basic ${Buffer.from('ann:pw-123456').toString('base64')}`,
      `Basic ${Buffer.from('bob:s3cret-pw').toString('base64')}`,
    ]);
  });
});

describe('log-batch on the wire', () => {
  const bodies = () =>
    seen.map(
      (s) =>
        JSON.parse(s.body.toString()) as {
          metrics?: unknown[];
          params?: unknown[];
          tags?: unknown[];
        },
    );

  it('splits 2500 metrics and 150 params into 3 calls within every limit', async () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: 'loss',
      value: i === 0 ? NaN : 1 / i,
      step: i,
    }));
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, i]));
    const r = await client().c.logBatch('run1', { metrics, params, tags: { stage: 'ingest' } });
    expect(r).toEqual({ calls: 3, truncated: [] });
    expect(seen.every((s) => s.url === '/api/2.0/mlflow/runs/log-batch')).toBe(true);
    const b = bodies();
    expect(b.map((x) => [x.params?.length, x.tags?.length, x.metrics?.length])).toEqual([
      [100, 1, 899],
      [50, 0, 950],
      [0, 0, 651],
    ]);
    // JSON has no NaN: it goes as the string MLflow accepts.
    expect(b[0]!.metrics![0]).toMatchObject({ key: 'loss', value: 'NaN', step: 0 });
  });

  it('validates everything before the first call', async () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: i === 2400 ? 'bad@key' : 'ok',
      value: i,
    }));
    await expect(client().c.logBatch('run1', { metrics })).rejects.toBeInstanceOf(
      TrackingInputError,
    );
    await expect(
      client().c.logBatch('run1', {
        params: [
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ],
      }),
    ).rejects.toThrow(/given twice/);
    expect(seen).toHaveLength(0);
  });

  it('cuts over-long params visibly and says which', async () => {
    const { c, logs } = client();
    const r = await c.logBatch('run1', { params: { long: 'y'.repeat(7000), short: 'ok' } });
    expect(r.truncated).toEqual(['long']);
    expect(logs.some((l) => l.includes('long'))).toBe(true);
    const sent = JSON.parse(seen[0]!.body.toString()) as { params: { value: string }[] };
    expect(sent.params[0]!.value).toHaveLength(6000);
  });
});

describe('artifacts and health', () => {
  it('streams a file upload to the proxy path from the run artifact URI, re-reading it on retry', async () => {
    const file = join(dir, 'model.bin');
    const bytes = randomBytes(300_000);
    await writeFile(file, bytes);
    script = [
      reply(200, {
        run: { info: { run_id: 'abc', artifact_uri: 'mlflow-artifacts:/1/abc/artifacts' } },
      }),
      reply(503),
      reply(200),
    ];
    await client().c.artifacts.upload('abc', 'model/v 1/model.bin', { file });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/2.0/mlflow/runs/get?run_id=abc',
      'PUT /api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/v%201/model.bin',
      'PUT /api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/v%201/model.bin',
    ]);
    expect(seen[2]!.headers['content-length']).toBe('300000');
    expect(seen[1]!.body.equals(bytes) && seen[2]!.body.equals(bytes)).toBe(true);
  });

  it('refuses unsafe artifact paths before any call', async () => {
    const { c } = client();
    for (const p of ['../x', 'a/../../x', 'a#b', '100%', 'a//b', ''])
      await expect(c.artifacts.upload('abc', p, 'x')).rejects.toBeInstanceOf(TrackingInputError);
    expect(seen).toHaveLength(0);
  });

  it('ping: /health plus one API call, no retries, never throws', async () => {
    const { c } = client();
    expect((await c.ping()).healthy).toBe(true);
    expect(seen.map((s) => s.url)).toEqual(['/health', '/api/2.0/mlflow/experiments/search']);
    seen = [];
    script = [reply(503, 'starting')];
    const down = await c.ping();
    expect(down.healthy).toBe(false);
    expect(down.error).toMatch(/GET \/health failed: 503/);
    expect(seen).toHaveLength(1);
  });
});
