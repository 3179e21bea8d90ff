import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';
import { Command } from 'commander';
import { registerConfig } from './commands/config.ts';
import { registerDemo } from './commands/demo.ts';
import { registerExperiment } from './commands/experiment.ts';
import { registerOps } from './commands/ops.ts';
import { registerReplay } from './commands/replay.ts';
import { registerReport } from './commands/report.ts';
import { registerRun } from './commands/run.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerStack } from './commands/stack.ts';

// Workers started by the CLI log at WARN unless asked otherwise: people read this output.
// A gpu-queue worker polls no workflows by design; that notice is not a warning here.
Runtime.install({
  logger: new DefaultLogger((process.env.AUGMENT_LOG_LEVEL ?? 'WARN') as LogLevel, (entry) => {
    if (entry.message.startsWith('No workflows registered')) return;
    process.stderr.write(
      `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${
        entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : ''
      }\n`,
    );
  }),
});

const program = new Command('augment')
  .description(
    'Augment recommender training data (GAN + LLM) and prove it with an offline A/B test, on Temporal',
  )
  .showHelpAfterError()
  .enablePositionalOptions();

registerStack(program);
registerConfig(program);
registerRun(program);
registerOps(program);
registerSchedule(program);
registerExperiment(program);
registerReport(program);
registerReplay(program);
registerDemo(program);

await program.parseAsync(process.argv);
