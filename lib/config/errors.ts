import type { z } from 'zod';

/** One problem in a configuration: which field, what value, what was expected. */
export interface ConfigIssue {
  /** Dotted path (`preprocess.kCore`) or variable name (`TEMPORAL_ADDRESS`). */
  field: string;
  /** The offending value as given (secrets are redacted by the caller). */
  value: unknown;
  expected: string;
}

/** Invalid configuration. Never retryable: the same input fails the same way. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** Where the configuration came from: a file path or "environment". */
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `invalid configuration in ${source}:\n` +
        issues.map((i) => `  - ${i.field}: ${show(i.value)} - expected ${i.expected}`).join('\n'),
    );
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  const s = JSON.stringify(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Turns zod issues into ConfigIssues with the raw value looked up at each path, so the
 * message shows what the user wrote, not zod's internal description.
 */
export function issuesFromZod(
  error: z.ZodError,
  input: unknown,
  opts: { redact?: (field: string) => boolean; joinPath?: (path: PropertyKey[]) => string } = {},
): ConfigIssue[] {
  const join = opts.joinPath ?? ((p: PropertyKey[]) => p.map(String).join('.') || '(root)');
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // One issue per unknown key, named by its full path: usually a typo.
      return issue.keys.map((key) => ({
        field: join([...issue.path, key]),
        value: valueAt(input, [...issue.path, key]),
        expected: 'no such key (a typo?)',
      }));
    }
    const field = join(issue.path);
    const value = opts.redact?.(field) ? '***' : valueAt(input, issue.path);
    return { field, value, expected: expectedOf(issue) };
  });
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'too_small':
      if (issue.origin === 'array') return `a list of at least ${String(issue.minimum)} value(s)`;
      return `${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
    case 'too_big':
      return `${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}
