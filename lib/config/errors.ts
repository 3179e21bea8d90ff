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
  opts: {
    redact?: (field: string) => boolean;
    joinPath?: (path: PropertyKey[]) => string;
    /** The schema that failed: an unknown key then names the closest known one. */
    schema?: z.ZodType;
  } = {},
): ConfigIssue[] {
  const join = opts.joinPath ?? ((p: PropertyKey[]) => p.map(String).join('.') || '(root)');
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // One issue per unknown key, named by its full path: usually a typo.
      const known = opts.schema ? keysAt(opts.schema, issue.path) : [];
      return issue.keys.map((key) => {
        const near = closestKey(key, known);
        return {
          field: join([...issue.path, key]),
          value: valueAt(input, [...issue.path, key]),
          expected: near ? `no such key (did you mean ${near}?)` : 'no such key (a typo?)',
        };
      });
    }
    const field = join(issue.path);
    const value = opts.redact?.(field) ? '***' : valueAt(input, issue.path);
    return { field, value, expected: expectedOf(issue) };
  });
}

/** The keys of the object schema at `path` inside `schema` (through defaults, optionals and
 * pipes); none where the path leaves objects. */
function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let cur: z.core.$ZodType | undefined = schema;
  for (let k = 0; cur && k <= path.length;) {
    const def = cur._zod.def as unknown as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      innerType?: z.core.$ZodType;
      in?: z.core.$ZodType;
    };
    if (def.type === 'object') {
      if (k === path.length) return Object.keys(def.shape ?? {});
      cur = def.shape?.[String(path[k++])];
    } else cur = def.innerType ?? def.in;
  }
  return [];
}

/** The known key a typo most likely meant: same letters but case, or at most 2 edits away. */
export function closestKey(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(key.length / 3));
  for (const k of known) {
    if (k.toLowerCase() === key.toLowerCase()) return k;
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  return rows[a.length]![b.length]!;
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
