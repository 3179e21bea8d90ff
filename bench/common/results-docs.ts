/**
 * Renders the latest bench results (bench/results/*.json) into docs/performance.md and
 * docs/model-quality.md, between the markers of each section, so the documents quote the
 * files rather than numbers copied by hand. Each result shows its command, the machine and
 * the load average; a section without a result names the command that produces it.
 *
 *   npm run docs:bench    # re-render after editing the catalogue below
 *
 * (writeBenchResult calls this after every result it writes.)
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { BenchResult } from './result-types.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results');

/** A section of a document: the results whose names start with `prefix`. */
interface Section {
  id: string;
  doc: 'performance.md' | 'model-quality.md' | 'README.md';
  prefix: string;
  /** The command that produces the section's headline result. */
  command: string;
}

export const SECTIONS: Section[] = [
  { id: 'suite', doc: 'performance.md', prefix: 'suite', command: 'npm run bench -- --quick' },
  {
    id: 'data',
    doc: 'performance.md',
    prefix: 'data-',
    command: 'npx tsx bench/data/run.ts --rows 1000000 --rows 10000000',
  },
  {
    id: 'pipeline',
    doc: 'performance.md',
    prefix: 'pipeline-',
    command: 'npx tsx bench/pipeline/run.ts --sizes 100k,1m,10m',
  },
  { id: 'gan', doc: 'performance.md', prefix: 'gan-speed-', command: 'npx tsx bench/gan/run.ts' },
  {
    id: 'gan-condition',
    doc: 'performance.md',
    prefix: 'gan-condition',
    command: 'npx tsx bench/gan/condition.ts',
  },
  { id: 'llm', doc: 'performance.md', prefix: 'llm-', command: 'npx tsx bench/llm/run.ts' },
  {
    id: 'resample',
    doc: 'performance.md',
    prefix: 'resample-',
    command: 'npx tsx bench/resample/run.ts',
  },
  { id: 'train', doc: 'performance.md', prefix: 'train-', command: 'npx tsx bench/train/run.ts' },
  { id: 'ease', doc: 'performance.md', prefix: 'ease-', command: 'npx tsx bench/train/ease.ts' },
  { id: 'eval', doc: 'performance.md', prefix: 'eval-', command: 'npx tsx bench/eval/run.ts' },
  {
    id: 'synthetic',
    doc: 'model-quality.md',
    prefix: 'quality-synthetic-',
    command: 'npx tsx bench/eval/ceiling.ts',
  },
  {
    id: 'movielens-models',
    doc: 'model-quality.md',
    prefix: 'quality-movielens-',
    command: 'npx tsx bench/movielens/models.ts --family ials',
  },
  {
    id: 'movielens-tune',
    doc: 'model-quality.md',
    prefix: 'movielens-tune-',
    command: 'npx tsx bench/movielens/tune.ts --family ials',
  },
  {
    id: 'movielens-pipeline',
    doc: 'model-quality.md',
    prefix: 'movielens-pipeline',
    command: 'npx tsx bench/movielens/run.ts',
  },
  {
    id: 'gan-noise',
    doc: 'model-quality.md',
    prefix: 'gan-noise',
    command: 'npx tsx bench/gan/run.ts --noise',
  },
  {
    id: 'gan-quality',
    doc: 'model-quality.md',
    prefix: 'gan-quality',
    command: 'npx tsx bench/gan/quality.ts',
  },
  {
    id: 'policy-check',
    doc: 'model-quality.md',
    prefix: 'policy-check-',
    command: 'npx tsx bench/movielens/policy-check.ts --data demo --family ease --screen on',
  },
  {
    id: 'teacher-check',
    doc: 'model-quality.md',
    prefix: 'teacher-check-',
    command: "npx tsx bench/movielens/teacher-check.ts --family bpr --variants 'default k5 w0.5'",
  },
  {
    id: 'quality-table',
    doc: 'model-quality.md',
    prefix: 'quality-table-',
    command: 'npx tsx bench/movielens/table.ts --data movielens,demo --seeds 1,2,3',
  },
];

/** One line of the README's short table: a figure picked from the first matching result. */
interface Headline {
  question: string;
  /** The result's bench name starts with this (the first such file, by name), or is it when `exact`. */
  prefix: string;
  exact?: boolean;
  command: string;
  link: string;
  figure: (f: Record<string, unknown>) => string | undefined;
}

const num = (v: unknown, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : undefined);
const pick = (f: Record<string, unknown>, key: string) =>
  f[key] as Record<string, unknown> | undefined;

export const HEADLINES: Headline[] = [
  {
    question: 'demo, whole process, nothing cached',
    prefix: 'suite',
    command: 'npm run bench -- --quick',
    link: 'docs/performance.md#headline-the-demo-and-a-cached-re-run',
    figure: (f) => num(f.demoSeconds, 1) && `${num(f.demoSeconds, 1)} s`,
  },
  {
    question: 'the same demo again, finished stages reused',
    prefix: 'suite',
    command: 'npm run bench -- --quick',
    link: 'docs/performance.md#headline-the-demo-and-a-cached-re-run',
    figure: (f) => num(f.cachedRerunSeconds, 1) && `${num(f.cachedRerunSeconds, 1)} s`,
  },
  {
    question: 'CSV to split Parquet, 10M rows',
    prefix: 'data-10m',
    command: 'npx tsx bench/data/run.ts --rows 10000000',
    link: 'docs/performance.md#data-stages',
    figure: (f) =>
      typeof f.endToEndRowsPerSec === 'number'
        ? `${(f.endToEndRowsPerSec / 1e6).toFixed(2)}M rows/s`
        : undefined,
  },
  {
    question: 'CFGAN epoch time over PyTorch (CPU, 2 threads each)',
    prefix: 'gan-speed-8741x4727-2t',
    exact: true,
    command: 'npx tsx bench/gan/run.ts --threads 2',
    link: 'docs/performance.md#cfgan-training',
    figure: (f) => num(f.ganVsTorch, 2) && `${num(f.ganVsTorch, 2)}x`,
  },
  ...(['bpr', 'ials'] as const).map((family): Headline => ({
    question: `${family === 'bpr' ? 'BPR-MF' : 'iALS'} epoch time over \`implicit\` (2 threads each)`,
    prefix: 'train-10000x10000-1m-2ep-wasm-bpr.ials-simd-sgd',
    exact: true,
    command:
      'npx tsx bench/train/run.ts --backends wasm --families bpr,ials --bpr-kernels simd --bpr-optimizers sgd --epochs 2 --runs 5',
    link: 'docs/performance.md#recommender-training',
    figure: (f) => {
      const r = family === 'bpr' ? f.bprVsImplicit : f.ialsVsImplicit;
      return num(r, 2) && `${num(r, 2)}x`;
    },
  })),
  {
    question: 'full ranking, 10K users x 10K items',
    prefix: 'eval-10000x10000',
    command: 'npx tsx bench/eval/run.ts',
    link: 'docs/performance.md#full-ranking-evaluation',
    figure: (f) => {
      const parts = pick(f, 'parts') ?? {};
      const dot = Object.entries(parts).find(([k]) => k.startsWith('dot-product'))?.[1];
      return num((dot as Record<string, unknown> | undefined)?.seconds, 2)?.concat(' s');
    },
  },
  {
    question: 'A (family auto) test NDCG@10 over EASE, MovieLens-100K',
    prefix: 'quality-table-movielens',
    exact: true,
    command: 'npx tsx bench/movielens/table.ts --data movielens',
    link: 'docs/model-quality.md',
    figure: (f) => {
      const m = f.means as Record<string, number> | undefined;
      return m?.A && m.ease ? `${(m.A / m.ease).toFixed(2)}x` : undefined;
    },
  },
  {
    question: 'B over A on sparse users, demo defaults, 3 seeds',
    prefix: 'quality-table-demo-bpr',
    exact: true,
    command: "npx tsx bench/movielens/table.ts --data demo --families '' --family bpr",
    link: 'docs/model-quality.md',
    figure: (f) => {
      const lift = (f.goals as Record<string, unknown> | undefined)?.sparseLiftPct;
      return typeof lift === 'number' ? `${lift > 0 ? '+' : ''}${lift.toFixed(1)}%` : undefined;
    },
  },
  {
    question: 'CFGAN generator test NDCG@10 over ItemKNN, MovieLens-100K',
    prefix: 'gan-quality-movielens-demo',
    command: 'npx tsx bench/gan/quality.ts',
    link: 'docs/model-quality.md#the-augmentation-sources',
    figure: (f) => {
      const x = (f.movielens as Record<string, unknown> | undefined)?.cfganVsItemknnNdcg10;
      return num(x, 2) && `${num(x, 2)}x`;
    },
  },
  {
    question: 'item-sequence fallback picks the held-out item (chance 10%)',
    prefix: 'llm-sequence',
    command: 'npx tsx bench/llm/run.ts',
    link: 'docs/performance.md#llm-branch-the-item-sequence-fallback',
    figure: (f) => num(f.likedHeldOutPercent, 1) && `${num(f.likedHeldOutPercent, 1)}%`,
  },
];

/** The README's table: each headline figure with the machine's load when it was measured. */
export function renderHeadlines(results = readResults()): string {
  const rows = HEADLINES.map((h) => {
    const hit = results.find(([, r]) =>
      h.exact ? r.bench === h.prefix : r.bench.startsWith(h.prefix),
    );
    const value = hit && h.figure(hit[1].figures);
    const source = hit
      ? `[${hit[0]}](bench/results/${hit[0]}), load ${hit[1].loadAverage.start[0]!.toFixed(1)} on ${hit[1].machine.cores} cores`
      : `not measured yet: \`${h.command}\``;
    return `| ${cell(h.question)} | ${value ?? 'n/a'} | ${source} | [details](${h.link}) |`;
  });
  return ['| question | figure | result file | more |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

const begin = (id: string) => `<!-- bench-results:${id}:begin (npm run docs:bench) -->`;
const end = (id: string) => `<!-- bench-results:${id}:end -->`;

type Scalar = string | number | boolean | null;
const isScalar = (v: unknown): v is Scalar => v === null || typeof v !== 'object';
const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function text(v: unknown): string {
  if (v === null || v === undefined) return 'n/a';
  if (Array.isArray(v) && v.every(isScalar)) return v.map(text).join(', ');
  if (isScalar(v)) return String(v);
  return `\`${JSON.stringify(v)}\``;
}
const cell = (s: string) => s.replaceAll('|', '\\|');

/**
 * A list of flat records (e.g. one per seed) as a record keyed 1, 2, ... so it renders as a
 * matrix; deeper lists stay one JSON cell.
 */
const numbered = (v: unknown): unknown =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every((r) => isRecord(r) && Object.values(r).every(isScalar))
    ? Object.fromEntries(v.map((r, i) => [String(i + 1), r]))
    : v;

/**
 * Scalars as one figure/value table; records of records (and lists of flat records, rows
 * numbered from 1) as a matrix; records as tables.
 */
function figureTables(raw: Record<string, unknown>): string[] {
  const figures = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, numbered(v)]));
  const out: string[] = [];
  const plain = Object.entries(figures).filter(([, v]) => !isRecord(v));
  if (plain.length) {
    out.push('| figure | value |', '| --- | --- |');
    for (const [k, v] of plain) out.push(`| ${cell(k)} | ${cell(text(v))} |`);
    out.push('');
  }
  for (const [k, v] of Object.entries(figures)) {
    if (!isRecord(v)) continue;
    const rows = Object.entries(v);
    if (rows.length && rows.every(([, r]) => isRecord(r))) out.push(...matrix(`${k}:`, v, text));
    else {
      out.push(`${k}:`, '', '| figure | value |', '| --- | --- |');
      for (const [name, r] of rows) out.push(`| ${cell(name)} | ${cell(text(r))} |`);
      out.push('');
    }
  }
  return out;
}

/** Records of records as one table: a row per record, a column per key of any of them. */
function matrix(title: string, v: Record<string, unknown>, show: (x: unknown) => string): string[] {
  const rows = Object.entries(v);
  const cols = [...new Set(rows.flatMap(([, r]) => Object.keys(r as object)))];
  const out = [title, '', `| | ${cols.map(cell).join(' | ')} |`];
  out.push(`| --- | ${cols.map(() => '---').join(' | ')} |`);
  for (const [name, r] of rows)
    out.push(
      `| ${cell(name)} | ${cols.map((c) => cell(show((r as Record<string, unknown>)[c]))).join(' | ')} |`,
    );
  out.push('');
  return out;
}

/** A figure of a per-run row, rounded to 4 decimals (a seed's row is read, not re-computed). */
const rounded = (v: unknown) =>
  typeof v === 'number' && !Number.isInteger(v) ? String(+v.toFixed(4)) : text(v);

function renderResult(file: string, r: BenchResult): string[] {
  const m = r.machine;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  return [
    `**${r.bench}** ([${file}](../bench/results/${file})): \`${r.command}\``,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; load average ` +
      `(1/5/15 min) ${load(r.loadAverage.start)} at start, ${load(r.loadAverage.end)} at the end.`,
    '',
    ...figureTables(r.figures),
  ];
}

function readResults(): [string, BenchResult][] {
  if (!existsSync(RESULTS)) return [];
  return readdirSync(RESULTS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(RESULTS, f), 'utf8')) as BenchResult]);
}

/** The Markdown of one section, from the results present. */
export function renderSection(section: Section, results = readResults()): string {
  const mine = results.filter(([, r]) => r.bench.startsWith(section.prefix));
  if (!mine.length) return `No result in bench/results yet: \`${section.command}\` writes one.`;
  const lines = sideBySide(mine) ?? mine.flatMap(([f, r]) => renderResult(f, r));
  return lines.join('\n').trimEnd();
}

/** Nested figures as `a.b` keys (scalars and scalar lists only), or undefined if deeper. */
function flatten(figures: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(figures)) {
    if (isRecord(v)) Object.assign(out, flatten(v, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/**
 * Several results with the same figures (one bench over seeds, families or cases) as one
 * table, a column per result, then each one's command and machine; undefined otherwise.
 */
function sideBySide(results: [string, BenchResult][]): string[] | undefined {
  if (results.length < 2) return undefined;
  const flat = results.map(([, r]) => flatten(r.figures));
  const keys = Object.keys(flat[0]!);
  const same = flat.every((f) => Object.keys(f).join('\n') === keys.join('\n'));
  if (!same || keys.length > 40) return undefined;
  // Lists of records (one per seed, say) would be one JSON cell as wide as the page: each
  // result's list becomes a table of its own after the side-by-side one.
  const listed = keys.filter((k) => flat.some((f) => Array.isArray(f[k]) && f[k].some(isRecord)));
  const names = results.map(([, r]) => r.bench);
  const out = [
    `| figure | ${names.map(cell).join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
  ];
  for (const k of keys.filter((x) => !listed.includes(x)))
    out.push(`| ${cell(k)} | ${flat.map((f) => cell(text(f[k]))).join(' | ')} |`);
  out.push('');
  for (const k of listed)
    results.forEach(([, r], i) => {
      const rows = numbered(flat[i]![k]);
      if (isRecord(rows)) out.push(...matrix(`${r.bench}, ${k}:`, rows, rounded));
    });
  for (const [file, r] of results) {
    const m = r.machine;
    out.push(
      `- [${r.bench}](../bench/results/${file}): \`${r.command}\`; ${m.cpu}, ${m.cores} cores, ` +
        `Node ${m.node}; load average ${r.loadAverage.start[0]!.toFixed(2)} at start, ` +
        `${r.loadAverage.end[0]!.toFixed(2)} at the end`,
    );
  }
  return out;
}

/** `doc` with every section it has markers for re-rendered. */
export function withResults(doc: string, name: string, results = readResults()): string {
  let out = doc;
  if (name === 'README.md') {
    const b = out.indexOf(begin('headlines'));
    const e = out.indexOf(end('headlines'));
    if (b < 0 || e < b) throw new Error('README.md lacks the markers of the headline figures');
    return `${out.slice(0, b + begin('headlines').length)}\n\n${renderHeadlines(results)}\n\n${out.slice(e)}`;
  }
  for (const s of SECTIONS.filter((x) => x.doc === name)) {
    const b = out.indexOf(begin(s.id));
    const e = out.indexOf(end(s.id));
    if (b < 0 || e < b) throw new Error(`docs/${name} lacks the markers of section ${s.id}`);
    out = `${out.slice(0, b + begin(s.id).length)}\n\n${renderSection(s, results)}\n\n${out.slice(e)}`;
  }
  return out;
}

/** The documents that quote bench results. */
export const RENDERED_DOCS = ['README.md', 'performance.md', 'model-quality.md'] as const;
const docPath = (name: Section['doc']) =>
  name === 'README.md' ? join(ROOT, name) : join(ROOT, 'docs', name);

/** The rendered, Prettier-formatted text of docs/<name> (or the README). */
export async function renderedDoc(name: Section['doc']): Promise<string> {
  const path = docPath(name);
  const options = { ...(await resolveConfig(path)), filepath: path };
  return format(withResults(readFileSync(path, 'utf8'), name), options);
}

/** Re-renders both documents in place. */
export async function refreshResultDocs(): Promise<void> {
  for (const name of RENDERED_DOCS) {
    const path = docPath(name);
    if (!existsSync(path)) continue;
    const next = await renderedDoc(name);
    if (next !== readFileSync(path, 'utf8')) writeFileSync(path, next);
  }
}

if (import.meta.filename === process.argv[1]) await refreshResultDocs();
