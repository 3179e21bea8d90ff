/**
 * The one way a bench records its figures: `bench/results/<name>.json` with the machine
 * (CPU model, cores, memory, Node version, load average when the bench started and when it
 * wrote), the date, the exact command and the figures. Writing a result also refreshes the
 * figures in docs/performance.md and docs/model-quality.md, which are rendered from these
 * files (bench/common/results-docs.ts). The load average is there because timings on a
 * shared machine are only comparable with it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, platform, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { BenchMachine, BenchResult } from './result-types.ts';
import { refreshResultDocs } from './results-docs.ts';

export type { BenchMachine, BenchResult } from './result-types.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** Load average when this module was loaded, i.e. when the bench started. */
const loadAtStart = loadavg().map((x) => +x.toFixed(2));

/**
 * `npx tsx <script> <args>`, quoted for a POSIX shell: the command that reproduces a run.
 * Options in `outputOnly` (with their values) say where extra output goes, not what is
 * measured, so they are left out.
 */
export function commandLine(
  argv: readonly string[] = process.argv,
  outputOnly: readonly string[] = [],
): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
  const script = relative(ROOT, argv[1] ?? '');
  const args: string[] = [];
  for (let k = 2; k < argv.length; k++) {
    const a = argv[k]!;
    if (outputOnly.includes(a)) k++;
    else if (!outputOnly.some((o) => a.startsWith(`${o}=`))) args.push(a);
  }
  return ['npx', 'tsx', script, ...args].map(quote).join(' ');
}

export function machine(): BenchMachine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${platform()}-${arch()}`,
  };
}

/** Names become file names: lower case letters, digits, `.` and `-`. */
const NAME = /^[a-z0-9][a-z0-9.-]*$/;

/**
 * Writes `<dir>/<name>.json` (Prettier-formatted, as the repository's lint expects) and,
 * when writing into bench/results, re-renders the docs' figures. `BENCH_RESULTS_DIR`
 * redirects the file elsewhere (and then leaves the docs alone). Returns the path.
 */
export async function writeBenchResult(
  name: string,
  figures: Record<string, unknown>,
  dir = process.env.BENCH_RESULTS_DIR ?? RESULTS_DIR,
  options: { outputOnlyArgs?: readonly string[] } = {},
): Promise<string> {
  if (!NAME.test(name))
    throw new Error(`bench result name ${JSON.stringify(name)}: use [a-z0-9.-]`);
  const result: BenchResult = {
    bench: name,
    date: new Date().toISOString(),
    command: commandLine(process.argv, options.outputOnlyArgs),
    machine: machine(),
    loadAverage: { start: loadAtStart, end: loadavg().map((x) => +x.toFixed(2)) },
    figures,
  };
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const prettierOptions = { ...(await resolveConfig(path)), filepath: path };
  writeFileSync(path, await format(JSON.stringify(result, roundFigures, 2), prettierOptions));
  process.stderr.write(`[bench] figures written to ${relative(process.cwd(), path)}\n`);
  if (dir === RESULTS_DIR) await refreshResultDocs();
  return path;
}

/** JSON replacer: fractions to 6 significant digits (timings are not more precise). */
export function roundFigures(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? +value.toPrecision(6) : value;
}

/** `1m`, `10m`, `150k`: a row count as a short name part. */
export function sizeName(rows: number): string {
  if (rows % 1_000_000 === 0) return `${rows / 1_000_000}m`;
  if (rows % 1000 === 0) return `${rows / 1000}k`;
  return String(rows);
}
