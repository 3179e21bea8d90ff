import { Command } from 'commander';
import { closeRuntime } from '../lib/temporal/runtime.ts';
import { registerConfig } from './commands/config.ts';
import { registerDemo } from './commands/demo.ts';
import { registerExperiment } from './commands/experiment.ts';
import { registerOps } from './commands/ops.ts';
import { registerRecommend } from './commands/recommend.ts';
import { registerReplay } from './commands/replay.ts';
import { registerReport } from './commands/report.ts';
import { registerRun } from './commands/run.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerStack } from './commands/stack.ts';

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
registerRecommend(program);
registerReplay(program);
registerDemo(program);

await program.parseAsync(process.argv);
// Temporal's runtime exists only where a command made a worker connection, created by
// lib/temporal/runtime.ts so the SDK's and core's logs go to stderr and stdout holds only
// what the command prints. Usually it has closed with the last worker; after a failed
// connection it is still up and would keep the process alive.
await closeRuntime();
