import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parsePipelineConfig, pipelineConfigSchema } from './pipeline.ts';

/**
 * The configuration reference in docs/configuration.md, rendered from the zod schema so the
 * document cannot drift from what the loader accepts: every key with its type, its default
 * (the value a config that leaves it out gets) and its `.describe()` text, one table per
 * object, plus the cross-field rules of each object. `npm run docs:config` writes it
 * between the two markers; a unit test fails when the committed file differs.
 */

export const REFERENCE_BEGIN = '<!-- config-reference:begin (npm run docs:config) -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

type Schema = z.core.$ZodType;

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

interface Table {
  path: string;
  description: string;
  rows: Row[];
  rules: string[];
}

/** What a wrapper (default, optional, pipe ...) adds before its inner type is reached. */
interface Unwrapped {
  inner: Schema;
  description: string | undefined;
  rules: string[];
}

/** Peels defaults, optionals and transforms off, collecting descriptions and refinements. */
function unwrap(schema: Schema): Unwrapped {
  let s: Schema = schema;
  let description: string | undefined;
  const rules: string[] = [];
  for (;;) {
    description ??= z.globalRegistry.get(s)?.description;
    for (const check of s._zod.def.checks ?? []) {
      const def = check._zod.def as { check: string; error?: (() => unknown) | undefined };
      if (def.check === 'custom' && typeof def.error === 'function') {
        const message = def.error();
        if (typeof message === 'string') rules.push(message);
      }
    }
    const def = s._zod.def as unknown as {
      type: string;
      innerType?: Schema;
      in?: Schema;
    };
    if (
      (def.type === 'default' ||
        def.type === 'prefault' ||
        def.type === 'optional' ||
        def.type === 'nullable') &&
      def.innerType
    )
      s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return { inner: s, description, rules };
  }
}

const code = (text: string) => `\`${text}\``;

/** Renders a numeric or length bound check as text, or undefined for other checks. */
function bound(check: { _zod: { def: unknown } }): string | undefined {
  const def = check._zod.def as {
    check: string;
    value?: number | bigint;
    inclusive?: boolean;
    minimum?: number;
    maximum?: number;
    format?: string;
    pattern?: RegExp;
  };
  switch (def.check) {
    case 'greater_than':
      return `${def.inclusive ? '≥' : '>'} ${String(def.value)}`;
    case 'less_than':
      return `${def.inclusive ? '≤' : '<'} ${String(def.value)}`;
    case 'min_length':
      return `at least ${def.minimum} long`;
    case 'max_length':
      return `at most ${def.maximum} long`;
    case 'string_format':
      return def.format === 'regex' && def.pattern
        ? `matching ${code(String(def.pattern))}`
        : undefined;
    default:
      return undefined;
  }
}

/** A short type text: `integer, ≥ 1, ≤ 8192`, `` `a` or `b` ``, `list of integer`. */
function typeText(schema: Schema): string {
  const s = unwrap(schema).inner;
  const def = s._zod.def as unknown as {
    type: string;
    format?: string;
    entries?: Record<string, string>;
    options?: Schema[];
    element?: Schema;
    checks?: { _zod: { def: unknown } }[];
  };
  const bounds = (def.checks ?? []).map(bound).filter((b): b is string => b !== undefined);
  const withBounds = (name: string) => [name, ...bounds].join(', ');
  switch (def.type) {
    case 'number':
      return withBounds(def.format === 'safeint' ? 'integer' : 'number');
    case 'string':
      return withBounds(def.format === 'url' ? 'URL' : 'string');
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(def.entries ?? {})
        .map((v) => code(v))
        .join(' or ');
    case 'union':
      return (def.options ?? []).map(typeText).join(' or ');
    case 'array':
      return [`list of ${typeText(def.element!)}`, ...bounds].join(', ');
    default:
      return def.type;
  }
}

function isObject(schema: Schema): boolean {
  return unwrap(schema).inner._zod.def.type === 'object';
}

function shapeOf(schema: Schema): Record<string, Schema> {
  return (unwrap(schema).inner._zod.def as unknown as { shape: Record<string, Schema> }).shape;
}

function valueAt(root: unknown, path: string[]): unknown {
  let v = root;
  for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

function defaultText(value: unknown): string {
  if (value === undefined) return 'unset';
  return code(typeof value === 'string' ? value : JSON.stringify(value));
}

/** One table per object of the schema, depth first, the top level first. */
function tables(
  schema: Schema,
  path: string[],
  defaults: unknown,
  description: string,
  out: Table[],
): Table[] {
  const table: Table = {
    path: path.join('.'),
    description,
    rows: [],
    rules: unwrap(schema).rules,
  };
  out.push(table);
  const nested: [string, Schema][] = [];
  for (const [key, field] of Object.entries(shapeOf(schema))) {
    if (isObject(field)) {
      nested.push([key, field]);
      continue;
    }
    const keyPath = [...path, key];
    table.rows.push({
      key: keyPath.join('.'),
      type: typeText(field),
      default: defaultText(valueAt(defaults, keyPath)),
      description: unwrap(field).description ?? '',
    });
  }
  for (const [key, field] of nested)
    tables(field, [...path, key], defaults, unwrap(field).description ?? '', out);
  return out;
}

/** Keys that have no `.describe()` text (the reference must explain every key). */
export function undescribedKeys(): string[] {
  const missing: string[] = [];
  for (const t of tables(pipelineConfigSchema, [], parsePipelineConfig({}), '', [])) {
    if (t.path && !t.description) missing.push(t.path);
    for (const r of t.rows) if (!r.description) missing.push(r.key);
  }
  return missing;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The Markdown between the markers: every key of the config file. */
export function renderConfigReference(): string {
  const parts: string[] = [];
  const all = tables(
    pipelineConfigSchema,
    [],
    parsePipelineConfig({}),
    'Keys at the top level of the file.',
    [],
  );
  for (const t of all) {
    parts.push(`### ${t.path ? code(t.path) : 'Top level'}`, '', t.description, '');
    if (t.rows.length) {
      parts.push('| key | type | default | description |', '| --- | --- | --- | --- |');
      for (const r of t.rows)
        parts.push(
          `| ${code(r.key)} | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`,
        );
      parts.push('');
    }
    if (t.rules.length) {
      parts.push('Also checked:', '', ...t.rules.map((r) => `- ${r}`), '');
    }
  }
  return parts.join('\n').trimEnd();
}

/** `document` with the reference between its markers replaced by the current rendering. */
export function withConfigReference(document: string): string {
  const begin = document.indexOf(REFERENCE_BEGIN);
  const end = document.indexOf(REFERENCE_END);
  if (begin < 0 || end < begin)
    throw new Error(`the document needs the markers ${REFERENCE_BEGIN} and ${REFERENCE_END}`);
  return (
    document.slice(0, begin + REFERENCE_BEGIN.length) +
    '\n\n' +
    renderConfigReference() +
    '\n\n' +
    document.slice(end)
  );
}

export const CONFIGURATION_DOC = join(import.meta.dirname, '..', '..', 'docs', 'configuration.md');

/**
 * docs/configuration.md as `npm run docs:config` writes it: the reference re-rendered and
 * the file formatted by Prettier (loaded here only: it is a development tool).
 */
export async function renderedConfigurationDoc(path = CONFIGURATION_DOC): Promise<string> {
  const { format, resolveConfig } = await import('prettier');
  const options = { ...(await resolveConfig(path)), filepath: path };
  return format(withConfigReference(readFileSync(path, 'utf8')), options);
}

if (process.argv[1] === import.meta.filename) {
  const missing = undescribedKeys();
  if (missing.length) throw new Error(`config keys without .describe(): ${missing.join(', ')}`);
  writeFileSync(CONFIGURATION_DOC, await renderedConfigurationDoc());
}
