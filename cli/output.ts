import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { runtimeSettings } from '../lib/runtime/settings.ts';
import { connectClient } from '../lib/temporal/connection.ts';

/** Output helpers shared by commands: JSON for scripts, plain lines for people. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function info(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/**
 * Runs a command body and turns errors into one clear line and exit code 1 (2 for bad
 * usage or config), instead of a stack trace.
 */
export async function guarded(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const e = err as Error;
    // Said with where to look instead: a mistyped or foreign id (another namespace).
    const message =
      err instanceof WorkflowNotFoundError
        ? `no run or experiment "${err.workflowId}" in Temporal namespace ${runtimeSettings().temporal.namespace} (recent ones: npx augment list)`
        : e.message;
    process.stderr.write(`error: ${message}\n`);
    if (process.env.AUGMENT_DEBUG === '1' && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = e.name === 'ConfigError' ? 2 : 1;
  }
}

/** Connects to Temporal, runs `body`, closes: one connection per command. */
export async function withClient(body: (client: Client) => Promise<void>): Promise<void> {
  const client = await connectClient(runtimeSettings().temporal);
  try {
    await body(client);
  } finally {
    await client.connection.close();
  }
}
