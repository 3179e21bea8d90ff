import { describe, expect, it } from 'vitest';
import { expandGrid, parseGrid } from '../../../lib/experiments/grid.ts';
import { planWarmups } from '../../../lib/experiments/warmup.ts';

const variants = (parameters: Record<string, unknown[]>, base: unknown = {}) =>
  expandGrid(base, parseGrid({ parameters }, 'grid.yaml'), 'grid.yaml');

const plan = (parameters: Record<string, unknown[]>, base: unknown = {}) =>
  planWarmups(variants(parameters, base)).map((s) => ({
    until: s.until,
    for: s.for,
    gan: s.config.gan.enabled,
    llm: s.config.llm.enabled,
    teacher: s.config.teacher.enabled,
  }));

describe('experiment warm-ups', () => {
  it('computes the data stages, the GAN, each LLM and teacher setting and model A once when variants share them', () => {
    const all = { gan: true, llm: true, teacher: true };
    expect(plan({ 'llm.enabled': [true, false], 'resample.syntheticShare': [0.1, 0.3] })).toEqual([
      { until: 'preprocess', for: ['v1', 'v2', 'v3', 'v4'], ...all },
      // The GAN alone (LLM off, the teacher after `until`), for every variant; the LLM alone
      // for the two that use it; the teacher alone for every variant.
      { until: 'generateGan', for: ['v1', 'v2', 'v3', 'v4'], ...all, llm: false },
      { until: 'expandLlm', for: ['v1', 'v2'], ...all, gan: false },
      { until: 'teacher', for: ['v1', 'v2', 'v3', 'v4'], ...all, gan: false, llm: false },
      // Model A sees only real data: one training serves all four.
      { until: 'retrainA', for: ['v1', 'v2', 'v3', 'v4'], ...all },
    ]);
  });

  it('warms a branch setting only when two variants share it', () => {
    // Each GAN setting is used once: nothing to share there, but the data, the LLM and the
    // teacher are.
    expect(plan({ 'gan.topK': [3, 5] }).map((s) => s.until)).toEqual([
      'preprocess',
      'expandLlm',
      'teacher',
      'retrainA',
    ]);
    expect(plan({ 'teacher.k': [2, 3] }).map((s) => s.until)).toEqual([
      'preprocess',
      'generateGan',
      'expandLlm',
      'retrainA',
    ]);
    // Different model settings or written negatives change A: nothing shared there.
    expect(plan({ 'model.factors': [8, 16] }).map((s) => s.until)).toEqual([
      'preprocess',
      'generateGan',
      'expandLlm',
      'teacher',
    ]);
    expect(plan({ 'resample.negatives.perPositive': [0, 1] }).map((s) => s.until)).not.toContain(
      'retrainA',
    );
    // Different seeds share nothing.
    expect(plan({ seed: [1, 2] })).toEqual([]);
    // A single variant has nobody to share with.
    expect(plan({ 'model.factors': [8] })).toEqual([]);
  });

  it('groups by data setting and skips disabled branches', () => {
    expect(
      plan(
        { 'preprocess.kCore': [3, 5], 'model.factors': [8, 16] },
        { gan: { enabled: false }, llm: { enabled: false }, teacher: { enabled: false } },
      ),
    ).toEqual([
      { until: 'preprocess', for: ['v1', 'v2'], gan: false, llm: false, teacher: false },
      { until: 'preprocess', for: ['v3', 'v4'], gan: false, llm: false, teacher: false },
    ]);
  });
});
