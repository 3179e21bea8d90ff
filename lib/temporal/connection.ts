import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ConnectionSettings } from '../config/env.ts';
import { payloadCodecs } from './codec.ts';

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
  const connection = await Connection.connect({ address: s.address, ...securityOptions(s) });
  return new Client({
    connection,
    namespace: s.namespace,
    dataConverter: { payloadCodecs: payloadCodecs(s.payloadKey) },
  });
}

/** The native connection a worker polls with. */
export function connectWorker(s: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({ address: s.address, ...securityOptions(s) });
}
