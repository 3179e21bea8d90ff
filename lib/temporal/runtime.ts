import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { LogEntry, LogLevel, RuntimeOptions } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** AUGMENT_LOG_LEVEL (WARN when unset: people read this output); anything else is a ConfigError. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = env.AUGMENT_LOG_LEVEL?.trim().toUpperCase() || 'WARN';
  if (!LEVELS.includes(raw as LogLevel))
    throw Object.assign(
      new Error(`AUGMENT_LOG_LEVEL: "${env.AUGMENT_LOG_LEVEL}" is not one of ${LEVELS.join(', ')}`),
      { name: 'ConfigError' },
    );
  return raw as LogLevel;
}

/** One log line: time, level, message and metadata (core's lines carry sdkComponent "core"). */
function writeToStderr(entry: LogEntry): void {
  // A gpu-queue worker polls no workflows and a workflows-only worker no activities, by
  // design; those notices are not warnings here.
  if (/^No (workflows|activities) registered/.test(entry.message)) return;
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
  process.stderr.write(`${time} [${entry.level}] ${entry.message}${meta}\n`);
}

/**
 * Runtime options that keep stdout for the program's own output (`--json` prints exactly one
 * document there): the SDK's logs and Temporal core's - which core would otherwise print to
 * stdout itself - go to stderr at `level`.
 */
export function stderrRuntimeOptions(level: LogLevel): RuntimeOptions {
  return {
    logger: new DefaultLogger(level, writeToStderr),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: level }) },
    },
  };
}

/**
 * Installs the stderr runtime unless this process has one already (a test may install its
 * own). Called before a worker connection or replay, which would otherwise create the SDK's
 * default runtime, whose core logs go to stdout.
 */
export function ensureStderrRuntime(): void {
  if (Runtime._instance === undefined) Runtime.install(stderrRuntimeOptions(logLevel()));
}

/**
 * Shuts the runtime down if one is still up: forwarding core's logs holds the event loop
 * open until then, so a command that made no worker connection (or failed to) would never
 * exit. Workers and connections close theirs themselves, and the runtime goes with the last.
 */
export async function closeRuntime(): Promise<void> {
  await Runtime._instance?.shutdown();
}
