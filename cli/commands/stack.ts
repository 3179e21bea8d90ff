import type { Command } from 'commander';
import { resolveStackOptions, stackDown, stackStatus, stackUp } from '../../lib/stack/index.ts';
import type { StackOptions, StackStatus } from '../../lib/stack/index.ts';
import { guarded, info, printJson } from '../output.ts';

interface StackFlags {
  dir?: string;
  temporalPort?: string;
  temporalUiPort?: string;
  s3Port?: string;
  s3ConsolePort?: string;
  mlflowPort?: string;
  json?: boolean;
}

function optionsFrom(flags: StackFlags): StackOptions {
  const num = (v?: string) => (v === undefined ? undefined : Number(v));
  return resolveStackOptions({
    dir: flags.dir,
    ports: {
      temporal: num(flags.temporalPort),
      temporalUi: num(flags.temporalUiPort),
      s3: num(flags.s3Port),
      s3Console: num(flags.s3ConsolePort),
      mlflow: num(flags.mlflowPort),
    },
  });
}

function describe(status: StackStatus): string {
  const mark = (ok: boolean) => (ok ? 'healthy  ' : 'DOWN     ');
  return [
    `temporal ${mark(status.temporal.healthy)} ${status.temporal.address}  UI ${status.temporal.ui}`,
    `s3       ${mark(status.s3.healthy)} ${status.s3.endpoint}  bucket ${status.s3.bucket}`,
    `mlflow   ${mark(status.mlflow.healthy)} ${status.mlflow.url}  (UI)`,
  ].join('\n');
}

export function registerStack(program: Command): void {
  const stack = program
    .command('stack')
    .description(
      'start, stop and inspect the local stack (Temporal dev server, MinIO, MLflow) on 127.0.0.1',
    );
  const withFlags = (cmd: Command) =>
    cmd
      .option('--dir <dir>', 'data, logs and pid files (default .stack/, or STACK_DIR)')
      .option('--temporal-port <port>', 'Temporal gRPC port (default 7233, or STACK_TEMPORAL_PORT)')
      .option('--temporal-ui-port <port>', 'Temporal UI port (default 8233)')
      .option('--s3-port <port>', 'MinIO S3 port (default 9000)')
      .option('--s3-console-port <port>', 'MinIO console port (default 9001)')
      .option('--mlflow-port <port>', 'MLflow port (default 5000)')
      .option('--json', 'print machine-readable JSON');

  withFlags(
    stack
      .command('up')
      .description('start what is not running and wait until every server is usable'),
  ).action((flags: StackFlags) =>
    guarded(async () => {
      const res = await stackUp(optionsFrom(flags), flags.json ? undefined : info);
      if (flags.json)
        return printJson({ ...res.status, seconds: res.seconds, services: res.services });
      info(describe(res.status));
      info(
        `stack ready in ${res.seconds.toFixed(1)} s; point a shell at it with: source ${optionsFrom(flags).dir}/env`,
      );
    }),
  );
  withFlags(
    stack.command('down').description('stop every server of this stack; leaves no process behind'),
  ).action((flags: StackFlags) =>
    guarded(async () => {
      const res = await stackDown(optionsFrom(flags), flags.json ? undefined : info);
      if (flags.json) return printJson(res);
      info(res.stopped.length ? `stopped: ${res.stopped.join(', ')}` : 'nothing was running');
    }),
  );
  withFlags(
    stack.command('status').description('health of each server (exit 1 if any is down)'),
  ).action((flags: StackFlags) =>
    guarded(async () => {
      const status = await stackStatus(optionsFrom(flags));
      if (flags.json) printJson(status);
      else info(describe(status));
      if (!status.temporal.healthy || !status.s3.healthy || !status.mlflow.healthy)
        process.exitCode = 1;
    }),
  );
}
