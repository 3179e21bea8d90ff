import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config/errors.ts';
import { DataValidationError } from '../../../lib/data/errors.ts';
import { resample } from '../../../lib/sampling/index.ts';
import type { ResampleConfig, ResampleInput } from '../../../lib/sampling/index.ts';
import { config, rows, source } from './fixtures.ts';

function base(): ResampleInput {
  return {
    nUsers: 3,
    nItems: 5,
    train: rows([
      [0, 0],
      [1, 1],
      [2, 2],
    ]),
    synthetic: [source('gan', [{ u: 0, i: 3 }]), source('llm', [{ u: 1, i: 4, label: 0 }])],
  };
}

function dataError(input: ResampleInput, cfg = config()): DataValidationError {
  try {
    resample(input, cfg, 1);
  } catch (err) {
    expect(err).toBeInstanceOf(DataValidationError);
    return err as DataValidationError;
  }
  throw new Error('expected a DataValidationError');
}

describe('resample: precise errors', () => {
  it('accepts the base input', () => {
    // 3 real rows + the dislike; the GAN row exceeds the 0.2 share of 3 real positives.
    expect(resample(base(), config(), 1).b.n).toBe(4);
  });

  it('names the row and column of an out-of-range real id', () => {
    const inp = base();
    inp.train = rows([
      [0, 0],
      [1, 1],
      [2, 7],
    ]);
    expect(dataError(inp).message).toBe(
      'train row 3, column "item": "7" is not valid (expected an item index in [0, 5))',
    );
    inp.train = rows([
      [0, 0],
      [-1, 1],
    ]);
    expect(dataError(inp).message).toMatch(/^train row 2, column "user": "-1"/);
  });

  it('names the synthetic source of a bad id, score, label or plausibility', () => {
    let inp = base();
    inp.synthetic[1] = source('llm', [
      { u: 1, i: 1 },
      { u: 3, i: 1 },
    ]);
    expect(dataError(inp).message).toBe(
      'synthetic[1] (llm) row 2, column "user": "3" is not valid (expected a user index in [0, 3))',
    );
    inp = base();
    inp.synthetic[0]!.score[0] = NaN;
    expect(dataError(inp).message).toMatch(/^synthetic\[0\] \(gan\) row 1, column "score"/);
    inp = base();
    inp.synthetic[0]!.label![0] = 2;
    expect(dataError(inp).column).toBe('label');
    inp = base();
    inp.synthetic[0]!.plausibility![0] = NaN;
    expect(dataError(inp).column).toBe('plausibility');
    inp = base();
    (inp.synthetic[0] as { source: string }).source = 'vae';
    expect(dataError(inp).message).toMatch(/expected gan or llm/);
  });

  it('rejects length mismatches', () => {
    let inp = base();
    inp.train = { n: 3, user: new Int32Array(3), item: new Int32Array(2) };
    expect(dataError(inp).message).toBe(
      'train column "item": column has 2 rows but n = 3 (expected exactly n = 3 values)',
    );
    inp = base();
    inp.synthetic[0]!.score = new Float32Array(2);
    expect(dataError(inp).column).toBe('score');
    inp = base();
    inp.synthetic[1]!.label = new Uint8Array(0);
    expect(dataError(inp).column).toBe('label');
  });

  it('requires plausibility for dropRate > 0 and candidates for hard negatives', () => {
    const inp = base();
    delete inp.synthetic[0]!.plausibility;
    expect(resample(inp, config(), 1).b.n).toBe(4);
    expect(dataError(inp, config({ dropRate: 0.1 })).message).toMatch(
      /synthetic\[0\] \(gan\) column "plausibility": missing while resample.dropRate is 0.1/,
    );
    const hard = config({ negatives: { strategy: 'hard', perPositive: 1 } });
    expect(dataError(base(), hard).file).toBe('hardCandidates');
    const bad = {
      ...base(),
      hardCandidates: { indptr: new Int32Array([0, 1, 1]), indices: new Int32Array([0]) },
    };
    expect(dataError(bad, hard).message).toMatch(/indptr has length 3, expected 4/);
    const ok = {
      ...base(),
      hardCandidates: { indptr: new Int32Array([0, 1, 1, 1]), indices: new Int32Array([4]) },
    };
    expect(resample(ok, hard, 1).a.n).toBe(6);
  });

  it('rejects bad sizes', () => {
    expect(dataError({ ...base(), nItems: 0 }).column).toBe('nItems');
    expect(dataError({ ...base(), nUsers: 2.5 }).column).toBe('nUsers');
  });

  it.each<[string, Partial<ResampleConfig>, string]>([
    ['minScore', { minScore: NaN }, 'a number'],
    ['dropRate', { dropRate: 1.5 }, 'a number in [0, 1]'],
    ['maxSyntheticPerUser', { maxSyntheticPerUser: -1 }, 'an integer >= 0'],
    ['maxSyntheticPerUser', { maxSyntheticPerUser: 2.5 }, 'an integer >= 0'],
    ['syntheticShare', { syntheticShare: 0.95 }, 'a number in [0, 0.9]'],
    ['tailBoost', { tailBoost: 0 }, 'a finite number > 0'],
    ['protectColdUsers', { protectColdUsers: -2 }, 'an integer >= 0'],
    ['syntheticWeight', { syntheticWeight: 0 }, 'a finite number > 0'],
    [
      'negatives.strategy',
      { negatives: { strategy: 'random' as 'uniform', perPositive: 0 } },
      'uniform | popularity | hard',
    ],
    [
      'negatives.perPositive',
      { negatives: { strategy: 'uniform', perPositive: -1 } },
      'an integer in [0, 1000]',
    ],
  ])('rejects a bad %s', (field, over, expected) => {
    let err: unknown;
    try {
      resample(base(), config(over), 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe(`resample.${field}`);
    expect(issues[0]!.expected).toBe(expected);
  });
});
