import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, issuesFromZod } from './errors.ts';

/**
 * The pipeline config file (YAML or JSON). Users script against these names, so they are
 * a contract: add fields, never rename them. Objects are strict so a typo is an error,
 * not a silently ignored setting. Each stage section is added by the stage that reads it.
 */

const dataSchema = z
  .strictObject({
    /**
     * Where the interaction log comes from: `synthetic:users=..,items=..,interactions=..,seed=..`,
     * `movielens:/dir`, `csv:/path?user=..&item=..`, `tsv:`, `parquet:`, a path, `file://` or `s3://`.
     */
    source: z
      .string()
      .min(1)
      .default('synthetic:users=3000,items=1500,interactions=150000,seed=42'),
    /** Optional item-metadata file (title, genres, text). */
    items: z.string().min(1).optional(),
    /** What to do with malformed rows. @default fail */
    badRows: z.enum(['fail', 'skip']).default('fail'),
    /** With badRows=skip: the largest share of rows that may be skipped. @default 0.01 */
    maxBadRowFraction: z.number().min(0).max(1).default(0.01),
  })
  .prefault({});

const preprocessSchema = z
  .strictObject({
    /** Rating at or above which an interaction counts as positive. @default 4 */
    positiveThreshold: z.number().finite().default(4),
    /** Minimum interactions per user and per item, applied iteratively. @default 5 */
    kCore: z.int().min(0).max(1000).default(5),
    /** `leave-last-out` per user by time (default) or seeded `random`. */
    split: z.enum(['leave-last-out', 'random']).default('leave-last-out'),
    /** Ratios for the random split (train, valid, test). */
    ratios: z
      .strictObject({
        train: z.number().gt(0).lt(1).default(0.8),
        valid: z.number().min(0).lt(1).default(0.1),
        test: z.number().gt(0).lt(1).default(0.1),
      })
      .prefault({})
      .refine((r) => Math.abs(r.train + r.valid + r.test - 1) < 1e-9, 'train + valid + test = 1'),
  })
  .prefault({});

export const pipelineConfigSchema = z.strictObject({
  /** Name of the pipeline: MLflow experiment suffix and registered-model name. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64)')
    .default('recsys-augment'),
  /** One seed for every random choice in the run. @default 42 */
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(42),
  data: dataSchema,
  preprocess: preprocessSchema,
});

/** The config as users write it (everything optional). */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
/** The config with every default filled in. */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;

/** Validates a parsed config object; `source` names the file in errors. */
export function parsePipelineConfig(raw: unknown, source = 'config'): PipelineConfig {
  const parsed = pipelineConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(source, issuesFromZod(parsed.error, raw));
  return parsed.data;
}

/** Reads a YAML or JSON config file (JSON is YAML) and validates it. */
export function loadPipelineConfig(path: string): PipelineConfig {
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
  let raw: unknown;
  try {
    raw = parseYaml(text);
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
  return parsePipelineConfig(raw, path);
}

/** JSON Schema of the config file, for editors (`augment config schema`). */
export function pipelineConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(pipelineConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
