import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSyntheticParquet, writeSyntheticParquet } from '../../../lib/data/index.ts';
import { DataValidationError } from '../../../lib/data/errors.ts';
import { resample, SOURCE, SOURCE_NAMES } from '../../../lib/sampling/index.ts';
import type { SyntheticSource } from '../../../lib/sampling/index.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { checkSet, config, rows, source } from './fixtures.ts';

describe('resample: teacher rows', () => {
  const input = {
    nUsers: 3,
    nItems: 10,
    train: rows([
      [0, 0],
      [0, 1],
      [1, 2],
      [2, 3],
    ]),
    synthetic: [
      source('gan', [{ u: 0, i: 5, score: 0.9 }]),
      source('teacher', [
        { u: 0, i: 1, score: 1 }, // duplicate of a real row
        { u: 0, i: 5, score: 1 }, // the GAN row came first
        { u: 0, i: 6, score: 0.05 }, // below minScore
        { u: 0, i: 7, score: 0.5 }, // kept
        { u: 1, i: 8, score: 1 }, // kept
        { u: 2, i: 9, score: 2 / 3 }, // kept
      ]),
    ],
  };
  const cfg = config({ minScore: 0.1, syntheticShare: 0.9, syntheticWeight: 0.25 });
  const { a, b, report } = resample(input, cfg, 1);

  it('keeps its code, 4, after the persisted ones', () => {
    expect(SOURCE).toMatchObject({ real: 0, gan: 1, llm: 2, sampled: 3, teacher: 4 });
    expect(SOURCE_NAMES[SOURCE.teacher]).toBe('teacher');
  });

  it('are counted by source in the input, the drops and both sets', () => {
    checkSet(a);
    checkSet(b);
    const teacherRows: [number, number, number, number][] = [];
    for (let k = 0; k < b.n; k++)
      if (b.source[k] === SOURCE.teacher)
        teacherRows.push([b.user[k]!, b.item[k]!, b.weight[k]!, b.score[k]!]);
    expect(teacherRows).toEqual([
      [0, 7, 0.25, 0.5],
      [1, 8, 0.25, 1],
      [2, 9, 0.25, Math.fround(2 / 3)],
    ]);
    expect(a.source.includes(SOURCE.teacher)).toBe(false);
    expect(report.input.synthetic.teacher).toEqual({ positive: 6, negative: 0 });
    expect(report.input.synthetic.gan).toEqual({ positive: 1, negative: 0 });
    expect(report.rows.b.teacher).toEqual({ positive: 3, negative: 0 });
    expect(report.rows.a.teacher).toEqual({ positive: 0, negative: 0 });
    const nonzero = (r: Record<string, number>) =>
      Object.fromEntries(Object.entries(r).filter(([, v]) => v > 0));
    expect(nonzero(report.drops.teacher)).toEqual({
      duplicateOfReal: 1,
      duplicateOfSynthetic: 1,
      belowMinScore: 1,
    });
    expect(nonzero(report.drops.gan)).toEqual({});
    expect(nonzero(report.drops.total)).toEqual(nonzero(report.drops.teacher));
    expect(report.users.withSynthetic).toBe(3);
  });

  it('pass the input checks; an unknown source names the known ones', () => {
    const odd = { ...input.synthetic[1]!, source: 'oracle' } as unknown as SyntheticSource;
    const run = () => resample({ ...input, synthetic: [odd] }, cfg, 1);
    expect(run).toThrow(DataValidationError);
    expect(run).toThrow(/expected gan or llm or teacher/);
  });

  it('round-trip through the synthetic-rows Parquet layout with their source', async () => {
    const path = join(tempDir(), 'teacher.parquet');
    const t = input.synthetic[1]!;
    await writeSyntheticParquet(path, { ...t, nUsers: 3, nItems: 10 });
    const back = await readSyntheticParquet(path);
    expect(back.source).toBe('teacher');
    expect([...back.item]).toEqual([...t.item]);
    expect([...back.score]).toEqual([...t.score]);
    expect([...back.plausibility!]).toEqual([...t.plausibility!]);
  });
});
