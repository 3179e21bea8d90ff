import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, issuesFromZod } from './errors.ts';
import { augmentationSchema } from './sections/augmentation.ts';
import { dataSchema, preprocessSchema } from './sections/data.ts';
import { evaluateSchema } from './sections/evaluate.ts';
import { ganSchema } from './sections/gan.ts';
import { llmSchema } from './sections/llm.ts';
import { modelSchema } from './sections/model.ts';
import { orchestrationSchema, registrySchema, trainingSchema } from './sections/operations.ts';
import { resampleSchema } from './sections/resample.ts';
import { teacherSchema } from './sections/teacher.ts';
import { PYTHON_FAMILIES } from '../contracts/python-families.ts';

export { familyCandidates } from './sections/model.ts';

/**
 * The pipeline config file (YAML or JSON). Users script against these names, so they are
 * a contract: add fields, never rename them. Objects are strict so a typo is an error,
 * not a silently ignored setting. Each stage section is added by the stage that reads it.
 * The sections live in sections/ (one concern a file); this file composes them and is the
 * entry point other modules import from.
 */

/** Every section; the rules that span sections are added below. */
const pipelineSections = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64)')
    .default('recsys-augment')
    .describe('Name of the pipeline: MLflow experiment suffix and registered-model name.'),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(42)
    .describe('One seed for every random choice in the run.'),
  data: dataSchema,
  preprocess: preprocessSchema,
  gan: ganSchema,
  llm: llmSchema,
  teacher: teacherSchema,
  resample: resampleSchema,
  augmentation: augmentationSchema,
  model: modelSchema,
  evaluate: evaluateSchema,
  registry: registrySchema,
  orchestration: orchestrationSchema,
  training: trainingSchema,
});

export const pipelineConfigSchema = pipelineSections.refine(
  (c) =>
    c.training.worker !== 'python' ||
    c.model.family === 'auto' ||
    (PYTHON_FAMILIES as readonly string[]).includes(c.model.family),
  {
    // Checked here, not when retrainA reaches the Python worker after the data stages ran.
    message:
      'training.worker python trains model.family bpr, neumf, ials, ease or auto: a family without a Python trainer (PYTHON_FAMILIES) trains on the typescript worker',
    path: ['model', 'family'],
  },
);

/** The config as users write it (everything optional). */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
/** The config with every default filled in. */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;

/** Validates a parsed config object; `source` names the file in errors. */
export function parsePipelineConfig(raw: unknown, source = 'config'): PipelineConfig {
  const parsed = pipelineConfigSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw new ConfigError(
      source,
      issuesFromZod(parsed.error, raw, { schema: pipelineConfigSchema }),
    );
  return parsed.data;
}

/** Reads a YAML or JSON config file (JSON is YAML) and validates it. */
export function loadPipelineConfig(path: string): PipelineConfig {
  return parsePipelineConfig(readConfigFile(path), path);
}

/**
 * Reads a YAML or JSON file as written, without validation or defaults (experiments
 * apply their overrides to this before validating). Errors name the file and position.
 */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [
      {
        field: '(file)',
        value: path,
        expected: `a readable file (${(err as NodeJS.ErrnoException).code})`,
      },
    ]);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    const e = err as Error & { linePos?: { line: number; col: number }[] };
    const pos = e.linePos?.[0];
    throw new ConfigError(path, [
      {
        field: pos ? `line ${pos.line}, column ${pos.col}` : '(file)',
        value: undefined,
        expected: `valid YAML or JSON (${e.message.split('\n')[0]})`,
      },
    ]);
  }
}

/** JSON Schema of the config file, for editors (`augment config schema`). */
export function pipelineConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(pipelineConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
