import { connect } from 'node:net';

/** How long the TCP check waits for an answer before leaving the verdict to gRPC. */
const PROBE_MS = 3000;

/** Temporal cannot be reached at the configured address: what is unreachable, what to do. */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(
      `Temporal is not reachable at ${address} (${reason}). Start the local stack with ` +
        '`npx augment stack up`, or set TEMPORAL_ADDRESS to your Temporal server.',
    );
  }
}

/** `host:port` (IPv6 in brackets) split; undefined when it is not of that form. */
function hostAndPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

/** A proxy in the environment means gRPC does not connect to the address directly. */
function proxied(env: NodeJS.ProcessEnv): boolean {
  return ['grpc_proxy', 'https_proxy', 'http_proxy'].some((k) => env[k] || env[k.toUpperCase()]);
}

/**
 * Fails within moments when nothing listens at `address` (refused, unknown host,
 * unreachable network), instead of after gRPC's 10 s connect deadline. A silent network
 * (no answer within PROBE_MS) or a proxied connection is left to gRPC to judge.
 */
export function assertReachable(address: string, env = process.env): Promise<void> {
  const target = hostAndPort(address);
  if (!target || proxied(env)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    const done = (err?: Error) => {
      socket.destroy();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(), PROBE_MS);
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(new TemporalUnreachableError(address, err.code ?? err.message)),
    );
  });
}

/** A connect failure (client or worker) restated with the address and what to do. */
export function unreachable(address: string, err: unknown): Error {
  if (err instanceof TemporalUnreachableError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // Anything else (bad TLS files, a rejected API key) is not about reachability.
  if (!/deadline|refused|unavailable|transport|dns/i.test(message)) return err as Error;
  return new TemporalUnreachableError(address, message.split('\n')[0]!);
}
