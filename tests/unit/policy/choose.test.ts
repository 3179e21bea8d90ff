import { describe, expect, it } from 'vitest';
import { choosePolicy } from '../../../lib/policy/index.ts';
import type {
  ScoredCandidate,
  SplitFigures,
  ValidationFigures,
} from '../../../lib/policy/index.ts';

const fig = (ndcg10: number, sparseNdcg10: number, tailRecall10 = 0.2): ValidationFigures => ({
  ndcg10,
  sparseNdcg10,
  tailRecall10,
});
/** The same figures on both halves, unless the confirmation half is given. */
const split = (selection: ValidationFigures, confirmation = selection): SplitFigures => ({
  ...selection,
  selection,
  confirmation,
});
const cand = (label: string, valid?: SplitFigures): ScoredCandidate => ({
  label,
  sources: ['teacher'],
  overrides: { maxSyntheticPerUser: 2, syntheticWeight: 1 },
  ...(valid ? { valid } : { skipped: 'budget' }),
});
const a = split(fig(0.1, 0.05));
/** The gate's allowance, with its default small-segment size. */
const guard = (maxDrop: number, minSegmentUsers = 50) => ({ maxDrop, minSegmentUsers });
/** Figures with cold users: their NDCG@10 and, for a candidate, the top of its change's interval. */
const withCold = (x: SplitFigures, users: number, ndcg10: number, deltaHigh?: number) => ({
  ...x,
  coldUsers: { users, ndcg10, ...(deltaHigh !== undefined ? { deltaHigh } : {}) },
});

describe('choosePolicy', () => {
  it('picks the best sparse-user figure among candidates not below A overall', () => {
    const choice = choosePolicy(a, [
      cand('x', split(fig(0.099, 0.09))), // best on sparse users but below A overall: not eligible
      cand('y', split(fig(0.1, 0.06))),
      cand('z', split(fig(0.12, 0.055))),
    ]);
    expect(choice.chosen).toBe('y');
    expect(choice.beatsA).toBe(true);
    expect(choice.reason).toMatch(/y is best on the selection half .* confirmation half too/);
  });

  it('ranks on the selection half only: the confirmation half cannot change the pick', () => {
    const choice = choosePolicy(a, [
      cand('x', split(fig(0.1, 0.07), fig(0.1, 0.2))),
      cand('y', split(fig(0.1, 0.08), fig(0.1, 0.051))),
    ]);
    expect(choice.chosen).toBe('y');
    expect(choice.beatsA).toBe(true);
  });

  it('with rankOn all, ranks on every validation user and confirms only a lift on both halves', () => {
    const three = (all: ValidationFigures, sel: ValidationFigures, conf: ValidationFigures) => ({
      ...all,
      selection: sel,
      confirmation: conf,
    });
    const candidates = [
      // Best on the selection half, second on every user.
      cand('x', three(fig(0.1, 0.07), fig(0.1, 0.09), fig(0.1, 0.051))),
      // Best on every user, and better than A on each half.
      cand('y', three(fig(0.1, 0.08), fig(0.1, 0.06), fig(0.1, 0.1))),
    ];
    expect(choosePolicy(a, candidates).chosen).toBe('x');
    const all = choosePolicy(a, candidates, guard(0.05), 'all');
    expect(all.chosen).toBe('y');
    expect(all.beatsA).toBe(true);
    expect(all.reason).toMatch(/y is best on every validation user .* each half/);
    // A pick that loses to A on one half is not confirmed, whichever half it is.
    for (const [sel, conf, half] of [
      [fig(0.1, 0.049), fig(0.1, 0.1), 'selection'],
      [fig(0.1, 0.1), fig(0.099, 0.1), 'confirmation'],
    ] as const) {
      const one = choosePolicy(
        a,
        [cand('y', three(fig(0.1, 0.08), sel, conf))],
        guard(0.05),
        'all',
      );
      expect(one.chosen).toBe('y');
      expect(one.beatsA).toBe(false);
      expect(one.reason).toContain(`does not beat A on the ${half} half`);
    }
    // Losing tail recall on a half is named, as the reason's figures would not show it.
    const tail = choosePolicy(
      a,
      [cand('y', three(fig(0.1, 0.08), fig(0.1, 0.1), fig(0.1, 0.1, 0.18)))],
      guard(0.05),
      'all',
    );
    expect(tail.beatsA).toBe(false);
    expect(tail.reason).toContain('tail recall 0.1800 vs A 0.2000');
  });

  it('with rankOn all, prefers a candidate that beats A on each half to a better one that does not', () => {
    const candidates = [
      // Best on sparse users of every user, but below A overall on the confirmation half.
      cand('x', { ...fig(0.1, 0.09), selection: fig(0.101, 0.09), confirmation: fig(0.099, 0.09) }),
      cand('y', split(fig(0.11, 0.07))),
      cand('z', split(fig(0.12, 0.06))),
    ];
    const choice = choosePolicy(a, candidates, guard(0.05), 'all');
    expect(choice.chosen).toBe('y');
    expect(choice.beatsA).toBe(true);
    expect(choice.reason).toMatch(
      /y is best on every validation user among the candidates that beat A on each half/,
    );
    expect(choice.reason).toContain(
      'x scores higher on sparse users (0.0900) but does not beat A on each half',
    );
    // Ranked on the selection half, the confirmation half stays unseen by the pick.
    const selection = choosePolicy(a, candidates, guard(0.05), 'selection');
    expect(selection.chosen).toBe('x');
    expect(selection.beatsA).toBe(false);
    // With no candidate beating A on each half, the best eligible one is B, not confirmed.
    const alone = choosePolicy(a, [candidates[0]!], guard(0.05), 'all');
    expect(alone.chosen).toBe('x');
    expect(alone.beatsA).toBe(false);
    expect(alone.reason).toContain('nor does any other candidate on both');
  });

  it('does not claim a lift the confirmation half does not repeat', () => {
    const lost = (conf: ValidationFigures) =>
      choosePolicy(a, [cand('y', split(fig(0.11, 0.08), conf))]);
    // Worse on sparse users, below A overall, or losing tail recall on the confirmation half.
    for (const conf of [fig(0.11, 0.049), fig(0.099, 0.08), fig(0.11, 0.08, 0.18)]) {
      const choice = lost(conf);
      expect(choice.chosen).toBe('y');
      expect(choice.beatsA).toBe(false);
      expect(choice.reason).toMatch(/does not beat A on the confirmation half.*not confirmed/);
    }
    expect(lost(fig(0.1, 0.0501)).beatsA).toBe(true);
  });

  it("keeps the gate's tail guard rail: a candidate losing more than maxDrop of tail recall is not eligible", () => {
    const c = [cand('x', split(fig(0.11, 0.09, 0.189))), cand('y', split(fig(0.1, 0.06, 0.191)))];
    expect(choosePolicy(a, c, guard(0.05)).chosen).toBe('y');
    expect(choosePolicy(a, c, guard(0.1)).chosen).toBe('x');
    // No tail item in validation (A's tail recall NaN): nothing to guard.
    expect(choosePolicy(split(fig(0.1, 0.05, NaN)), c, guard(0.05)).chosen).toBe('x');
  });

  it('says plainly when no eligible candidate beats A on sparse users', () => {
    const choice = choosePolicy(a, [
      cand('y', split(fig(0.11, 0.04))),
      cand('z', split(fig(0.1, 0.05))),
    ]);
    expect(choice.chosen).toBe('z');
    expect(choice.beatsA).toBe(false);
    expect(choice.reason).toMatch(/no candidate beats A/);
  });

  it('falls back to the best overall when every candidate is below A overall', () => {
    const choice = choosePolicy(a, [
      cand('y', split(fig(0.05, 0.2))),
      cand('z', split(fig(0.08, 0.01))),
      cand('s'),
    ]);
    expect(choice.chosen).toBe('z');
    expect(choice.beatsA).toBe(false);
    expect(choice.reason).toMatch(/every candidate is below A overall/);
  });

  it('chooses nothing when nothing was trained', () => {
    expect(choosePolicy(a, []).chosen).toBeUndefined();
    expect(choosePolicy(a, [cand('s')]).reason).toMatch(/within the budget/);
  });

  it("keeps the gate's cold-user guard rail, by the gate's small-segment rule", () => {
    const coldA = withCold(a, 20, 0.04);
    // x is best on sparse users, but its 20 cold users fall by 50% and the interval is below 0.
    const x = (deltaHigh: number, users = 20) =>
      cand('x', withCold(split(fig(0.11, 0.09)), users, 0.02, deltaHigh));
    const y = cand('y', withCold(split(fig(0.1, 0.06)), 20, 0.04, 0.01));
    const blocked = choosePolicy(coldA, [x(-0.001), y]);
    expect(blocked.chosen).toBe('y');
    expect(blocked.beatsA).toBe(true);
    expect(blocked.reason).toContain(
      'x scores higher on sparse users (0.0900) but its cold users fall (0.0200 vs A 0.0400 on 20 users',
    );
    // Too few users, and the interval holds no change: the point estimate alone does not block.
    expect(choosePolicy(coldA, [x(0.002), y]).chosen).toBe('x');
    // Judged on the point estimate once the segment is as large as minSegmentUsers.
    expect(choosePolicy(coldA, [x(0.002), y], guard(0.05, 20)).chosen).toBe('y');
    // Within the allowance: not blocked whatever the interval.
    expect(choosePolicy(coldA, [x(-0.001), y], guard(0.6)).chosen).toBe('x');
    // Every eligible candidate blocked: the best overall stands in, and the reason says why.
    const none = choosePolicy(coldA, [x(-0.001)]);
    expect(none.beatsA).toBe(false);
    expect(none.reason).toMatch(/or its cold users fall \(1 of them\)/);
    // Figures without cold users (A's or the candidate's): nothing to guard.
    expect(choosePolicy(a, [x(-0.001), y]).chosen).toBe('x');
  });
});
