import type { Command } from 'commander';
import { loadPipelineConfig, parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
import { OnnxRecommender } from '../../lib/serving/onnx-recommend.ts';
import { downloadServingModel } from '../../lib/serving/registered-model.ts';
import { createTracker } from '../../lib/tracking/index.ts';
import { guarded, info, printJson } from '../output.ts';

interface RecommendFlags {
  model: string;
  user: string[];
  k: string;
  name?: string;
  config?: string;
  json?: boolean;
}

/**
 * `augment recommend --model champion --user U [--k 10]`: the top-K unseen items of users
 * from a registered model version's model.onnx, run with onnxruntime-node on the CPU (no
 * Temporal, no worker; MLflow only).
 */
export function registerRecommend(program: Command): void {
  program
    .command('recommend')
    .description("a registered model's top-K items for users (ONNX, on this machine's CPU)")
    .option(
      '-m, --model <alias|version>',
      'alias or version number of the registered model',
      'champion',
    )
    .requiredOption(
      '-u, --user <id>',
      "a user's original ID (repeat for several)",
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .option('-k, --k <n>', 'items per user', '10')
    .option(
      '--name <model>',
      "registered model name (default: the config's registry.model or name)",
    )
    .option('-c, --config <file>', 'pipeline config whose registered model to use')
    .option('--json', 'print the lists as JSON')
    .action((flags: RecommendFlags) => guarded(() => recommend(flags)));
}

async function recommend(flags: RecommendFlags): Promise<void> {
  const k = Number(flags.k);
  if (!Number.isInteger(k) || k < 1)
    throw Object.assign(new Error(`--k must be a positive integer, got ${flags.k}`), {
      name: 'ConfigError',
    });
  const config = flags.config
    ? loadPipelineConfig(flags.config)
    : parsePipelineConfig({}, 'defaults');
  const name = flags.name ?? config.registry.model ?? config.name;
  const mlflow = createTracker(runtimeSettings().mlflow);
  const { version, onnx } = await downloadServingModel(mlflow, name, flags.model);
  const model = await OnnxRecommender.load(onnx);
  try {
    const lists = await model.recommend(flags.user, Math.min(k, model.k));
    if (k > model.k) info(`${name} version ${version.version} serves at most ${model.k} items`);
    if (flags.json) {
      printJson({ model: name, version: version.version, ref: flags.model, users: lists });
      return;
    }
    info(`${name} version ${version.version} (${flags.model})`);
    for (const { user, items } of lists) {
      if (items.length === 0) {
        process.stdout.write(`user ${user}: unknown to the model\n`);
        continue;
      }
      process.stdout.write(`user ${user}\n`);
      for (const r of items)
        process.stdout.write(
          `  ${String(r.rank).padStart(3)}. ${r.item}  (score ${r.score.toFixed(4)})\n`,
        );
    }
  } finally {
    await model.close();
  }
}
