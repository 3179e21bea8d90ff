import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConnectionSettings } from '../../../lib/config/env.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { connectClient, connectWorker } from '../../../lib/temporal/connection.ts';
import { TemporalUnreachableError, unreachable } from '../../../lib/temporal/reachability.ts';

const run = promisify(execFile);

/** A loopback port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function temporalAt(address: string) {
  return loadConnectionSettings(
    { TEMPORAL_ADDRESS: address },
    { artifactUri: 'file:///tmp/unused', mlflowUri: 'http://127.0.0.1:1' },
  ).temporal;
}

/** The message names the address and both ways out. */
const HELPFUL = (address: string) =>
  new RegExp(
    `not reachable at ${address.replace(/\./g, '\\.')}.*npx augment stack up.*TEMPORAL_ADDRESS`,
  );

describe('no Temporal server at the configured address', () => {
  it('client and worker connections fail at once, naming the address and what to do', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    for (const connect of [connectClient, connectWorker]) {
      const t0 = Date.now();
      const err = await connect(temporalAt(address)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TemporalUnreachableError);
      expect((err as Error).message).toMatch(HELPFUL(address));
      expect((err as Error).message).toContain('ECONNREFUSED');
      // gRPC alone would wait for its 10 s connect deadline.
      expect(Date.now() - t0).toBeLessThan(2000);
    }
  });

  it('restates gRPC connect failures; other errors pass through unchanged', () => {
    const deadline = unreachable(
      'temporal.example:7233',
      new Error('Failed to connect before the deadline'),
    );
    expect(deadline).toBeInstanceOf(TemporalUnreachableError);
    expect(deadline.message).toMatch(HELPFUL('temporal.example:7233'));
    expect(deadline.message).toContain('Failed to connect before the deadline');
    const tls = new Error('ENOENT: no such file or directory, open /etc/certs/client.pem');
    expect(unreachable('temporal.example:7233', tls)).toBe(tls);
  });

  it('`augment run --wait` exits 1 within seconds with that message on stderr', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const t0 = Date.now();
    const res = await run(
      process.execPath,
      [join(PROJECT_ROOT, 'bin', 'augment.mjs'), 'run', '--wait'],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TEMPORAL_ADDRESS: address, AUGMENT_IGNORE_LOCAL_STACK: '1' },
        timeout: 30_000,
      },
    ).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(HELPFUL(address));
    // Loading the CLI takes a few seconds; the 10 s gRPC deadline is not waited for.
    expect(Date.now() - t0).toBeLessThan(9000);
  });
});
