import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RENDERED_DOCS,
  renderedDoc,
  renderHeadlines,
  renderSection,
  SECTIONS,
} from '../../../bench/common/results-docs.ts';
import type { BenchResult } from '../../../bench/common/results.ts';
import { commandLine, sizeName, writeBenchResult } from '../../../bench/common/results.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The scripts a user runs (their usage line is `npx tsx bench/...`), helpers excluded. */
const BENCH_SCRIPTS = [
  'bench/run.ts',
  'bench/data/run.ts',
  'bench/eval/run.ts',
  'bench/eval/ceiling.ts',
  'bench/gan/run.ts',
  'bench/gan/quality.ts',
  'bench/llm/run.ts',
  'bench/movielens/models.ts',
  'bench/movielens/policy-check.ts',
  'bench/movielens/run.ts',
  'bench/movielens/tune.ts',
  'bench/pipeline/run.ts',
  'bench/resample/run.ts',
  'bench/train/run.ts',
];

describe('bench results', () => {
  it('every bench writes its figures through the shared helper', () => {
    for (const script of BENCH_SCRIPTS)
      expect(readFileSync(join(ROOT, script), 'utf8'), script).toMatch(/writeBenchResult\(/);
  });

  it('a result records machine, load, date, command and figures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    try {
      const path = await writeBenchResult('unit-check', { rowsPerSec: 5 }, dir);
      const r = JSON.parse(readFileSync(path, 'utf8')) as BenchResult;
      expect(r.bench).toBe('unit-check');
      expect(Date.parse(r.date)).not.toBeNaN();
      expect(r.command).toMatch(/^npx tsx /);
      expect(r.machine.cores).toBeGreaterThan(0);
      expect(r.machine.node).toBe(process.version);
      expect(r.loadAverage.start).toHaveLength(3);
      expect(r.loadAverage.end).toHaveLength(3);
      expect(r.figures).toEqual({ rowsPerSec: 5 });
      await expect(writeBenchResult('../escape', {}, dir)).rejects.toThrow(/name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commands are quoted for a shell and sizes named briefly', () => {
    expect(
      commandLine(['node', join(ROOT, 'bench/eval/ceiling.ts'), '--set', '{"family":"ials"}']),
    ).toBe(`npx tsx bench/eval/ceiling.ts --set '{"family":"ials"}'`);
    // Output-only options (and their values) are not part of the reproducing command.
    const table = join(ROOT, 'bench/movielens/table.ts');
    expect(
      commandLine(
        ['node', table, '--summaries', '/tmp/s', '--seeds', '1', '--summaries=/tmp/t'],
        ['--summaries'],
      ),
    ).toBe('npx tsx bench/movielens/table.ts --seeds 1');
    expect([sizeName(1_000_000), sizeName(150_000), sizeName(1234)]).toEqual([
      '1m',
      '150k',
      '1234',
    ]);
  });

  it('every committed result file is complete', () => {
    const dir = join(ROOT, 'bench', 'results');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchResult;
      expect(`${r.bench}.json`, f).toBe(f);
      expect(r.command, f).toMatch(/^npx tsx bench\//);
      expect(Object.keys(r.machine), f).toEqual(
        expect.arrayContaining(['cpu', 'cores', 'memoryGiB', 'node']),
      );
      expect(Object.keys(r.figures).length, f).toBeGreaterThan(0);
    }
  });

  it('a section without results names the command that produces one', () => {
    expect(
      renderSection(
        SECTIONS.find((s) => s.id === 'train')!,
        [],
      ),
    ).toBe('No result in bench/results yet: `npx tsx bench/train/run.ts` writes one.');
  });

  it('a list of records (one per seed) renders as a table with numbered rows', () => {
    const result: BenchResult = {
      bench: 'quality-table-x',
      date: '2026-01-01T00:00:00.000Z',
      command: 'npx tsx bench/movielens/table.ts',
      machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, node: 'v24', platform: 'linux-x64' },
      loadAverage: { start: [1, 1, 1], end: [1, 1, 1] },
      figures: {
        perSeed: [
          { A: 0.5, policy: 'llm k2' },
          { A: 0.25, policy: 'teacher' },
        ],
      },
    };
    const md = renderSection(
      SECTIONS.find((s) => s.id === 'quality-table')!,
      [['quality-table-x.json', result]],
    );
    expect(md).toContain('| | A | policy |');
    expect(md).toContain('| 2 | 0.25 | teacher |');
    expect(md).not.toContain('`[{');
  });

  it('side by side, each result keeps its list of records as a table of its own, rounded', () => {
    const result = (bench: string, a: number): [string, BenchResult] => [
      `${bench}.json`,
      {
        bench,
        date: '2026-01-01T00:00:00.000Z',
        command: 'npx tsx bench/movielens/table.ts',
        machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, node: 'v24', platform: 'linux-x64' },
        loadAverage: { start: [1, 1, 1], end: [1, 1, 1] },
        figures: {
          means: { A: a },
          perSeed: [
            { A: a + 0.0123456, policy: 'llm k2' },
            { A: a, policy: 'teacher' },
          ],
        },
      },
    ];
    const md = renderSection(
      SECTIONS.find((s) => s.id === 'quality-table')!,
      [result('quality-table-x', 0.5), result('quality-table-y', 0.25)],
    );
    expect(md).toContain('| means.A | 0.5 | 0.25 |');
    expect(md).not.toContain('perSeed |');
    expect(md).toContain('quality-table-y, perSeed:');
    expect(md).toContain('| 1 | 0.2623 | llm k2 |');
    expect(md).not.toContain('`[{');
  });

  it('names the command of a README figure not measured yet', () => {
    expect(renderHeadlines([])).toContain('not measured yet: `npx tsx bench/eval/run.ts`');
  });

  for (const doc of RENDERED_DOCS)
    it(`${doc} shows the figures in bench/results`, async () => {
      // On failure: run `npm run docs:bench` (benches do it when they write a result).
      const path = doc === 'README.md' ? join(ROOT, doc) : join(ROOT, 'docs', doc);
      expect(readFileSync(path, 'utf8')).toBe(await renderedDoc(doc));
    });
});
