import type { Command } from 'commander';
import { loadPipelineConfig, pipelineConfigJsonSchema } from '../../lib/config/pipeline.ts';
import { guarded, info, printJson } from '../output.ts';

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('pipeline config files: check them, print defaults and schema');
  config
    .command('check <file>')
    .description('validate a YAML/JSON config and print it with every default filled in')
    .action((file: string) =>
      guarded(async () => {
        printJson(loadPipelineConfig(file));
        info(`${file}: valid`);
      }),
    );
  config
    .command('schema')
    .description('print the JSON Schema of the config file (for editor completion)')
    .action(() => guarded(async () => printJson(pipelineConfigJsonSchema())));
}
