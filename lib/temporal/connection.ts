import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ConnectionSettings } from '../config/env.ts';
import { payloadCodecs } from './codec.ts';
import { assertReachable, unreachable } from './reachability.ts';
import { ensureStderrRuntime } from './runtime.ts';

export { payloadCodecs } from './codec.ts';

type TemporalSettings = ConnectionSettings['temporal'];

/** TLS and API-key options shared by client and worker connections. */
function securityOptions(s: TemporalSettings) {
  const tls = s.tls
    ? {
        clientCertPair:
          s.tls.clientCertPath && s.tls.clientKeyPath
            ? { crt: readFileSync(s.tls.clientCertPath), key: readFileSync(s.tls.clientKeyPath) }
            : undefined,
        serverRootCACertificate: s.tls.caPath ? readFileSync(s.tls.caPath) : undefined,
      }
    : undefined;
  return { tls, apiKey: s.apiKey };
}

/** A client for starting, querying and cancelling workflows and managing schedules. */
export async function connectClient(s: TemporalSettings): Promise<Client> {
  await assertReachable(s.address);
  const connection = await Connection.connect({ address: s.address, ...securityOptions(s) }).catch(
    (err: unknown) => Promise.reject(unreachable(s.address, err)),
  );
  return new Client({
    connection,
    namespace: s.namespace,
    dataConverter: { payloadCodecs: payloadCodecs(s.payloadKey) },
  });
}

/** The native connection a worker polls with (logging to stderr unless a runtime exists). */
export async function connectWorker(s: TemporalSettings): Promise<NativeConnection> {
  await assertReachable(s.address);
  ensureStderrRuntime();
  try {
    return await NativeConnection.connect({ address: s.address, ...securityOptions(s) });
  } catch (err) {
    throw unreachable(s.address, err);
  }
}
