import { describe, expect, it } from 'vitest';
import { policyCandidates, TEACHER_WITH_HEAD } from '../../../lib/policy/index.ts';

const grid = { perUser: [2, 5], weights: [0.5, 1], combined: true, maxCandidates: 64 };

describe('policyCandidates', () => {
  it('crosses each source alone and all together with every setting, setting-major', () => {
    const c = policyCandidates(['gan', 'teacher'], grid);
    expect(c.map((x) => x.label)).toEqual([
      'gan k2 w0.5',
      'teacher k2 w0.5',
      'all k2 w0.5',
      'gan k2 w1',
      'teacher k2 w1',
      'all k2 w1',
      'gan k5 w0.5',
      'teacher k5 w0.5',
      'all k5 w0.5',
      'gan k5 w1',
      'teacher k5 w1',
      'all k5 w1',
    ]);
    expect(c[2]!.sources).toEqual(['gan', 'teacher']);
    expect(c[9]!.overrides).toEqual({ maxSyntheticPerUser: 5, syntheticWeight: 1 });
  });

  it('crosses the shares of users inside each setting, and names them only when there are several', () => {
    const c = policyCandidates(['teacher'], {
      ...grid,
      perUser: [2],
      weights: [1],
      users: [0.25, 1],
    });
    expect(c.map((x) => x.label)).toEqual(['teacher k2 w1 u0.25', 'teacher k2 w1 u1']);
    expect(c.map((x) => x.overrides.syntheticUsersFraction)).toEqual([0.25, 1]);
    const one = policyCandidates(['teacher'], { ...grid, perUser: [2], weights: [1], users: [1] });
    expect(one.map((x) => x.label)).toEqual(['teacher k2 w1']);
    expect(one[0]!.overrides).toEqual({
      maxSyntheticPerUser: 2,
      syntheticWeight: 1,
      syntheticUsersFraction: 1,
    });
  });

  it('has no combined candidate for a single source, and none at all without sources', () => {
    expect(policyCandidates(['llm'], grid).map((x) => x.sources)).toEqual([
      ['llm'],
      ['llm'],
      ['llm'],
      ['llm'],
    ]);
    expect(policyCandidates([], grid)).toEqual([]);
  });

  it('keeps the first maxCandidates, so a cut still spans the sources', () => {
    const c = policyCandidates(['gan', 'llm', 'teacher'], { ...grid, maxCandidates: 3 });
    expect(c.map((x) => x.sources[0])).toEqual(['gan', 'llm', 'teacher']);
  });

  it('tries a variant of a source (teacher+head) alone, never in the combined candidate', () => {
    const c = policyCandidates(['llm', 'teacher'], { ...grid, perUser: [2], weights: [1] }, [
      TEACHER_WITH_HEAD,
    ]);
    expect(c.map((x) => x.label)).toEqual([
      'llm k2 w1',
      'teacher k2 w1',
      'teacher+head k2 w1',
      'all k2 w1',
    ]);
    expect(c[2]!.sources).toEqual([TEACHER_WITH_HEAD]);
    expect(c[3]!.sources).toEqual(['llm', 'teacher']);
    // A variant alone has no combined candidate.
    expect(
      policyCandidates(['teacher'], { ...grid, perUser: [2], weights: [1] }, [
        TEACHER_WITH_HEAD,
      ]).map((x) => x.label),
    ).toEqual(['teacher k2 w1', 'teacher+head k2 w1']);
  });
});
