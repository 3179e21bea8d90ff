import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MlflowClient, MlflowError } from '../../../lib/tracking/index.ts';

/**
 * Protocol behaviour only (retries, auth header, error mapping) against a scripted local
 * HTTP server. Everything else about MLflow is tested against a real server.
 */
type Step = (req: IncomingMessage, res: ServerResponse) => void;
let script: Step[] = [];
let seen: { method: string; url: string; auth?: string }[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
    const step = script.shift() ?? ((_q, r) => r.end('{}'));
    req.resume();
    req.on('end', () => step(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  seen = [];
});

const status =
  (code: number, body = '{}'): Step =>
  (_q, r) => {
    r.statusCode = code;
    r.end(body);
  };
const client = (extra = {}) =>
  new MlflowClient({ baseUrl: url, baseDelayMs: 1, attempts: 4, ...extra });

describe('MLflow HTTP protocol handling', () => {
  it('retries 503 and 429 and then succeeds', async () => {
    script = [status(503), status(429), status(200, '{"experiment_id":"7"}')];
    expect(await client().createExperiment('x')).toBe('7');
    expect(seen).toHaveLength(3);
  });

  it('does not retry a 400 and reports MLflow error code and path', async () => {
    script = [status(400, '{"error_code":"INVALID_PARAMETER_VALUE","message":"bad name"}')];
    const err = await client()
      .createExperiment('x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as MlflowError).message).toContain('/api/2.0/mlflow/experiments/create');
    expect(seen).toHaveLength(1);
  });

  it('retries a dropped connection', async () => {
    script = [(req) => req.socket.destroy(), status(200, '{"experiment_id":"8"}')];
    expect(await client().createExperiment('x')).toBe('8');
    expect(seen).toHaveLength(2);
  });

  it('gives up after the configured attempts', async () => {
    script = [status(500), status(500), status(500), status(500), status(200)];
    const err = await client()
      .createExperiment('x')
      .catch((e: unknown) => e);
    expect((err as MlflowError).status).toBe(500);
    expect(seen).toHaveLength(4);
  });

  it('times out slow responses and retries them', async () => {
    script = [(_q, r) => setTimeout(() => r.end('{}'), 1500), status(200, '{"experiment_id":"9"}')];
    expect(await client({ timeoutMs: 300 }).createExperiment('x')).toBe('9');
  });

  it('sends the token as a bearer header and never puts it in errors', async () => {
    script = [status(401, '{"error_code":"UNAUTHENTICATED","message":"no"}')];
    const err = await client({ token: 'tok-secret-123' })
      .createExperiment('x')
      .catch((e: unknown) => e);
    expect(seen[0]!.auth).toBe('Bearer tok-secret-123');
    expect(String((err as Error).message)).not.toContain('tok-secret-123');
    expect(JSON.stringify(err)).not.toContain('tok-secret-123');
  });

  it('treats a missing experiment as undefined, not an error', async () => {
    script = [status(404, '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"nope"}')];
    expect(await client().getExperimentByName('nope')).toBeUndefined();
  });
});
