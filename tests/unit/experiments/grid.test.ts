import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import {
  MAX_VARIANTS,
  combinations,
  expandGrid,
  parseGrid,
  withOverride,
} from '../../../lib/experiments/grid.ts';
import { configError } from '../../helpers/config-error.ts';

const grid = (parameters: Record<string, unknown[]>, extra: Record<string, unknown> = {}) =>
  parseGrid({ parameters, ...extra }, 'grid.yaml');

describe('experiment grids', () => {
  it('expands every combination, first axis slowest, labels v1..vN', () => {
    const g = grid({ 'llm.enabled': [true, false], 'resample.syntheticShare': [0.1, 0.3, 0.5] });
    expect(g.maxParallel).toBe(2);
    expect(combinations(g.axes)).toEqual([
      { 'llm.enabled': true, 'resample.syntheticShare': 0.1 },
      { 'llm.enabled': true, 'resample.syntheticShare': 0.3 },
      { 'llm.enabled': true, 'resample.syntheticShare': 0.5 },
      { 'llm.enabled': false, 'resample.syntheticShare': 0.1 },
      { 'llm.enabled': false, 'resample.syntheticShare': 0.3 },
      { 'llm.enabled': false, 'resample.syntheticShare': 0.5 },
    ]);
    const variants = expandGrid({ name: 'exp', model: { factors: 8 } }, g, 'grid.yaml');
    expect(variants.map((v) => v.label)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    // Overrides land on the base as written; everything else keeps the base or its default.
    expect(variants[4]!.config.llm.enabled).toBe(false);
    expect(variants[4]!.config.resample.syntheticShare).toBe(0.3);
    expect(variants[4]!.config.model.factors).toBe(8);
    expect(variants[4]!.config.name).toBe('exp');
    expect(variants[4]!.config.gan.epochs).toBe(parsePipelineConfig({}).gan.epochs);
  });

  it('creates missing sections and replaces whole values (arrays too) without touching the base', () => {
    const base = { model: { mlpLayers: [64, 32] } };
    const out = withOverride(base, 'model.mlpLayers', [16]);
    expect(out).toEqual({ model: { mlpLayers: [16] } });
    expect(base.model.mlpLayers).toEqual([64, 32]);
    expect(withOverride({}, 'resample.negatives.strategy', 'hard')).toEqual({
      resample: { negatives: { strategy: 'hard' } },
    });
    expect(() => withOverride({ model: 3 }, 'model.factors', 8)).toThrow(/model is not a section/);
  });

  it('names the grid file, the variant and the field of an invalid value', () => {
    const g = grid({ 'gan.epochs': [5, 0] });
    const err = configError(() => expandGrid({}, g, 'grid.yaml'));
    expect(err.source).toBe('grid.yaml (variant v2: gan.epochs=0)');
    expect(err.issues).toEqual([{ field: 'gan.epochs', value: 0, expected: '>= 1' }]);
    // A typo in a path is an unknown key of the strict config.
    const typo = configError(() => expandGrid({}, grid({ 'gan.epoch': [5] }), 'grid.yaml'));
    expect(typo.issues[0]).toMatchObject({
      field: 'gan.epoch',
      expected: 'no such key (did you mean epochs?)',
    });
  });

  it('rejects malformed grids with precise issues', () => {
    expect(configError(() => parseGrid({}, 'g.yaml')).issues[0]!.field).toBe('parameters');
    expect(configError(() => grid({})).issues[0]).toMatchObject({ field: 'parameters' });
    expect(configError(() => grid({ 'gan.epochs': [] })).issues[0]).toMatchObject({
      field: 'parameters.gan.epochs',
      expected: 'a list of at least 1 value(s)',
    });
    expect(configError(() => grid({ name: ['a', 'b'] })).issues[0]!.expected).toMatch(
      /not the pipeline name/,
    );
    expect(configError(() => grid({ 'nonsense.x': [1] })).issues[0]!.expected).toMatch(
      /a path under one of seed, data, preprocess/,
    );
    expect(configError(() => grid({ 'gan..x': [1] })).issues[0]!.expected).toMatch(/dotted/);
    expect(
      configError(() => grid({ 'gan.epochs': [1] }, { maxParallel: 0 })).issues[0],
    ).toMatchObject({
      field: 'maxParallel',
    });
    expect(configError(() => grid({ 'gan.epochs': [1] }, { extra: 1 })).issues[0]!.field).toBe(
      'extra',
    );
    const big = configError(() =>
      grid({ seed: [1, 2, 3, 4, 5, 6, 7, 8, 9], 'gan.epochs': [1, 2, 3, 4, 5, 6, 7, 8] }),
    );
    expect(big.issues[0]).toMatchObject({
      value: '72 combinations',
      expected: `at most ${MAX_VARIANTS} combinations`,
    });
  });
});
