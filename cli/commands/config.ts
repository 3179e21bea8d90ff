import type { Command } from 'commander';
import { loadPipelineConfig, pipelineConfigJsonSchema } from '../../lib/config/pipeline.ts';
import { guarded, info, printJson } from '../output.ts';

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('pipeline config files: check them, print defaults and schema');
  config
    .command('check [file]')
    .description('validate a YAML/JSON config and print it with every default filled in')
    // `--config` as `run` spells it, so the same flags work on both.
    .option('-c, --config <file>', 'the config file (instead of the argument)')
    .action((arg: string | undefined, opts: { config?: string }) =>
      guarded(async () => {
        const file = arg ?? opts.config;
        if (!file) throw new Error('config check needs a file: augment config check run.yaml');
        printJson(loadPipelineConfig(file));
        info(`${file}: valid`);
      }),
    );
  config
    .command('schema')
    .description('print the JSON Schema of the config file (for editor completion)')
    .action(() => guarded(async () => printJson(pipelineConfigJsonSchema())));
}
