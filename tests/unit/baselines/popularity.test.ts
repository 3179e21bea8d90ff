import { describe, expect, it } from 'vitest';
import { evaluateFullRanking } from '../../../lib/eval/full-ranking.ts';
import { PopularityScorer } from '../../../lib/models/baselines/popularity.ts';
import { csrOf } from '../eval/fixtures.ts';

describe('PopularityScorer', () => {
  // item counts: 0 -> 3, 1 -> 1, 2 -> 2, 3 -> 0
  const train = csrOf([[0, 2], [0, 1], [0, 2], []]);

  it('scores every item by its train count, the same for every user', () => {
    const pop = PopularityScorer.fit(train, 4);
    const out = new Float32Array(2 * 4);
    pop.scoreUsers(Int32Array.of(3, 1), out);
    expect(Array.from(out)).toEqual([3, 1, 2, 0, 3, 1, 2, 0]);
  });

  it('recommends the most popular unseen items', () => {
    // user 3 has no history: top 2 = items 0 (3) and 2 (2); test item 2 is a hit at rank 2
    // user 1 has {0, 1}: ranking 2 (2), 3 (0); test item 3 at rank 2
    const data = { nUsers: 4, nItems: 4, train, test: csrOf([[], [3], [], [2]]) };
    const res = evaluateFullRanking(data, PopularityScorer.fit(train, 4), { ks: [1, 2] });
    expect(Array.from(res.users)).toEqual([1, 3]);
    expect(Array.from(res.perUser['hr@1']!)).toEqual([0, 0]);
    expect(Array.from(res.perUser['hr@2']!)).toEqual([1, 1]);
    expect(Array.from(res.perUser.mrr)).toEqual([0.5, 0.5]);
  });

  it('rejects a bad train matrix and a short buffer', () => {
    expect(() => PopularityScorer.fit(csrOf([[5]]), 4)).toThrow(/item id 5/);
    expect(() =>
      PopularityScorer.fit(train, 4).scoreUsers(Int32Array.of(0), new Float32Array(3)),
    ).toThrow(/too small/);
  });
});
