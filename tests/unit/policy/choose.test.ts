import { describe, expect, it } from 'vitest';
import { choosePolicy } from '../../../lib/policy/index.ts';
import type { ScoredCandidate } from '../../../lib/policy/index.ts';

const cand = (
  label: string,
  ndcg10?: number,
  sparseNdcg10?: number,
  tailRecall10 = 0.2,
): ScoredCandidate => ({
  label,
  sources: ['teacher'],
  overrides: { maxSyntheticPerUser: 2, syntheticWeight: 1 },
  ...(ndcg10 === undefined
    ? { skipped: 'budget' }
    : { valid: { ndcg10, sparseNdcg10: sparseNdcg10!, tailRecall10 } }),
});
const a = { ndcg10: 0.1, sparseNdcg10: 0.05, tailRecall10: 0.2 };

describe('choosePolicy', () => {
  it('picks the best sparse-user figure among candidates not below A overall', () => {
    const choice = choosePolicy(a, [
      cand('x', 0.099, 0.09), // best on sparse users but below A overall: not eligible
      cand('y', 0.1, 0.06),
      cand('z', 0.12, 0.055),
    ]);
    expect(choice.chosen).toBe('y');
    expect(choice.beatsA).toBe(true);
    expect(choice.reason).toMatch(/y is best on sparse users/);
  });

  it("keeps the gate's tail guard rail: a candidate losing more than maxDrop of tail recall is not eligible", () => {
    const c = [cand('x', 0.11, 0.09, 0.189), cand('y', 0.1, 0.06, 0.191)];
    expect(choosePolicy(a, c, 0.05).chosen).toBe('y');
    expect(choosePolicy(a, c, 0.1).chosen).toBe('x');
    // No tail item in validation (A's tail recall NaN): nothing to guard.
    expect(choosePolicy({ ...a, tailRecall10: NaN }, c, 0.05).chosen).toBe('x');
  });

  it('says plainly when no eligible candidate beats A on sparse users', () => {
    const choice = choosePolicy(a, [cand('y', 0.11, 0.04), cand('z', 0.1, 0.05)]);
    expect(choice.chosen).toBe('z');
    expect(choice.beatsA).toBe(false);
    expect(choice.reason).toMatch(/no candidate beats A/);
  });

  it('falls back to the best overall when every candidate is below A overall', () => {
    const choice = choosePolicy(a, [cand('y', 0.05, 0.2), cand('z', 0.08, 0.01), cand('s')]);
    expect(choice.chosen).toBe('z');
    expect(choice.beatsA).toBe(false);
    expect(choice.reason).toMatch(/every candidate is below A overall/);
  });

  it('chooses nothing when nothing was trained', () => {
    expect(choosePolicy(a, []).chosen).toBeUndefined();
    expect(choosePolicy(a, [cand('s')]).reason).toMatch(/within the budget/);
  });
});
