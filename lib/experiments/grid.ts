/**
 * Experiment grids: a YAML/JSON file naming config paths and the values to try. Every
 * combination becomes a variant: the base config (as written) with the overrides applied,
 * validated like any config file, so a bad value is reported with the grid file, the
 * variant and the field.
 */
import { z } from 'zod';
import { ConfigError, issuesFromZod } from '../config/errors.ts';
import { pipelineConfigSchema } from '../config/pipeline.ts';
import type { ExperimentVariant } from '../contracts/experiment.ts';

/** More children than this is a typo in the grid, not an experiment for one cluster night. */
export const MAX_VARIANTS = 64;

const PATH = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

const gridSchema = z.strictObject({
  /** Dotted config path -> the values to try (at least one each). */
  parameters: z.record(z.string(), z.array(z.unknown()).min(1)),
  /** Child pipelines in flight at once. @default 2 */
  maxParallel: z.int().min(1).max(64).default(2),
});

export interface Grid {
  axes: { path: string; values: unknown[] }[];
  maxParallel: number;
}

/** Validates a parsed grid file; `source` names it in errors. */
export function parseGrid(raw: unknown, source: string): Grid {
  const parsed = gridSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw new ConfigError(source, issuesFromZod(parsed.error, raw, { schema: gridSchema }));
  const axes = Object.entries(parsed.data.parameters).map(([path, values]) => ({ path, values }));
  const issues = [];
  if (axes.length === 0)
    issues.push({ field: 'parameters', value: {}, expected: 'at least one config path' });
  const sections = Object.keys(pipelineConfigSchema.shape);
  for (const { path } of axes) {
    const top = path.split('.')[0]!;
    if (!PATH.test(path))
      issues.push({
        field: `parameters.${path}`,
        value: path,
        expected: 'a dotted config path such as resample.syntheticShare',
      });
    else if (top === 'name')
      issues.push({
        field: `parameters.${path}`,
        value: path,
        expected: 'not the pipeline name (every variant belongs to the base config name)',
      });
    else if (!sections.includes(top))
      issues.push({
        field: `parameters.${path}`,
        value: path,
        expected: `a path under one of ${sections.filter((s) => s !== 'name').join(', ')}`,
      });
  }
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_VARIANTS)
    issues.push({
      field: 'parameters',
      value: `${count} combinations`,
      expected: `at most ${MAX_VARIANTS} combinations`,
    });
  if (issues.length) throw new ConfigError(source, issues);
  return { axes, maxParallel: parsed.data.maxParallel };
}

/** Every combination of the axes, the first axis varying slowest (file order). */
export function combinations(axes: Grid['axes']): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const { path, values } of axes)
    out = out.flatMap((partial) => values.map((v) => ({ ...partial, [path]: v })));
  return out;
}

/** `a.b.c = v` on a deep copy of `raw`, creating objects on the way. */
export function withOverride(raw: unknown, path: string, value: unknown): Record<string, unknown> {
  const root = structuredClone(raw ?? {}) as Record<string, unknown>;
  const keys = path.split('.');
  let cur = root;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (next === undefined) cur[key] = {};
    else if (next === null || typeof next !== 'object' || Array.isArray(next))
      throw new Error(`${path}: ${key} is not a section in the base config`);
    cur = cur[key] as Record<string, unknown>;
  }
  cur[keys.at(-1)!] = structuredClone(value);
  return root;
}

/** One line per variant for people: `v3  llm.enabled=false resample.syntheticShare=0.3`. */
export function describeOverrides(overrides: Record<string, unknown>): string {
  return Object.entries(overrides)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/**
 * The variants of a grid over a base config as written (`baseRaw`, not yet defaulted).
 * @throws ConfigError naming the grid file, the variant and every invalid field
 */
export function expandGrid(baseRaw: unknown, grid: Grid, source: string): ExperimentVariant[] {
  if (baseRaw !== undefined && (baseRaw === null || typeof baseRaw !== 'object'))
    throw new ConfigError(source, [
      { field: '(base config)', value: baseRaw, expected: 'a mapping' },
    ]);
  return combinations(grid.axes).map((overrides, i) => {
    const label = `v${i + 1}`;
    const where = `${source} (variant ${label}: ${describeOverrides(overrides)})`;
    let raw: unknown = baseRaw;
    for (const [path, value] of Object.entries(overrides)) {
      try {
        raw = withOverride(raw, path, value);
      } catch (err) {
        throw new ConfigError(where, [
          { field: path, value, expected: (err as Error).message.replace(/^[^:]+: /, '') },
        ]);
      }
    }
    const parsed = pipelineConfigSchema.safeParse(raw);
    if (!parsed.success)
      throw new ConfigError(
        where,
        issuesFromZod(parsed.error, raw, { schema: pipelineConfigSchema }),
      );
    return { label, overrides, config: parsed.data };
  });
}
