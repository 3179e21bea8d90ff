import { Command } from 'commander';
import { registerConfig } from './commands/config.ts';
import { registerDemo } from './commands/demo.ts';
import { registerRun } from './commands/run.ts';
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
registerDemo(program);

await program.parseAsync(process.argv);
