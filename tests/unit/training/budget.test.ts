import { describe, expect, it } from 'vitest';
import { spentByEarlierAttempt, trainingBudget } from '../../../lib/training/budget.ts';

/** A clock the test moves by hand (seconds). */
function clock(start = 100) {
  let t = start;
  return { now: () => t, advance: (s: number) => (t += s) };
}

describe('trainingBudget', () => {
  it('always lets the first epoch run, however long it takes', () => {
    const c = clock();
    const b = trainingBudget(10, { now: c.now });
    c.advance(60);
    expect(b.shouldStop()).toBe(false);
    b.epochDone();
    expect(b.shouldStop()).toBe(true);
    expect(b.stopped).toBe(true);
    expect(b.spentSeconds()).toBe(60);
  });

  it('starts an epoch only when, as long as the last one, it ends within the budget', () => {
    const c = clock();
    const b = trainingBudget(10, { now: c.now });
    for (let epoch = 1; epoch <= 3; epoch++) {
      expect(b.shouldStop()).toBe(false);
      c.advance(3);
      b.epochDone();
    }
    // 9 s spent; a 4th epoch of 3 s would end at 12 s.
    expect(b.shouldStop()).toBe(true);
    expect(b.stopped).toBe(true);
  });

  it('says it did not stop training when the loop ended on its own', () => {
    const c = clock();
    const b = trainingBudget(10, { now: c.now });
    c.advance(2);
    b.epochDone();
    expect(b.shouldStop()).toBe(false);
    c.advance(2);
    b.epochDone();
    expect(b.stopped).toBe(false);
  });

  it("counts an earlier attempt's seconds", () => {
    const c = clock();
    const b = trainingBudget(10, { now: c.now, alreadySpent: 7 });
    c.advance(1);
    b.epochDone();
    // 8 s spent, the next epoch takes about 1 s: it fits.
    expect(b.shouldStop()).toBe(false);
    c.advance(1);
    b.epochDone();
    expect(b.spentSeconds()).toBe(9);
    // 9 + 1 = 10 is within the budget; a slower epoch is not.
    expect(b.shouldStop()).toBe(false);
    c.advance(1.5);
    b.epochDone();
    expect(b.shouldStop()).toBe(true);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => trainingBudget(0)).toThrow('budgetSeconds must be > 0, got 0');
    expect(() => trainingBudget(Number.NaN)).toThrow(RangeError);
  });
});

describe('spentByEarlierAttempt', () => {
  it("reads the last heartbeat's trainingSeconds, and 0 for anything else", () => {
    expect(spentByEarlierAttempt({ trainingSeconds: 12.5, epoch: 3 })).toBe(12.5);
    expect(spentByEarlierAttempt(undefined)).toBe(0);
    expect(spentByEarlierAttempt({ epoch: 3 })).toBe(0);
    expect(spentByEarlierAttempt({ trainingSeconds: '12' })).toBe(0);
    expect(spentByEarlierAttempt({ trainingSeconds: -1 })).toBe(0);
    expect(spentByEarlierAttempt({ trainingSeconds: Number.POSITIVE_INFINITY })).toBe(0);
  });
});
