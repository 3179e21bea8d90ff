import { describe, expect, it } from 'vitest';
import { runStepsAsync } from '../../../lib/async/steps.ts';
import { eventLoopTurn } from '../../../lib/async/turn.ts';

/** Runs `body` inside a timer callback (the timers phase), as a resumed activity often is. */
function fromTimer<T>(body: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => setTimeout(() => body().then(resolve, reject), 0));
}

function busy(ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('eventLoopTurn', () => {
  // One setImmediate from the timers phase resolves in the same turn's check phase, before
  // the timer below runs (checked by hand): slices of work then ran back to back.
  it('resolves only after a timer that fell due meanwhile has run', async () => {
    const fired = await fromTimer(async () => {
      let ran = false;
      setTimeout(() => (ran = true), 0);
      busy(5);
      await eventLoopTurn();
      return ran;
    });
    expect(fired).toBe(true);
  });

  it('lets timers run between every two slices of runStepsAsync', async () => {
    const gaps: number[] = [];
    const result = await fromTimer(async () => {
      let last = Date.now();
      const timer = setInterval(() => {
        gaps.push(Date.now() - last);
        last = Date.now();
      }, 1);
      function* steps() {
        for (let k = 0; k < 20; k++) {
          busy(10);
          yield;
        }
        return 'done';
      }
      const r = await runStepsAsync(steps(), 50);
      clearInterval(timer);
      return r;
    });
    expect(result).toBe('done');
    // A slice is 50-60 ms of 10 ms steps; two back to back would leave a gap of 100 ms+.
    expect(gaps.length).toBeGreaterThan(2);
    expect(Math.max(...gaps)).toBeLessThan(90);
  });
});
