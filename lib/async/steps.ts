/**
 * Long pure computations written as generators that `yield` at safe points between chunks
 * of work. The same code then runs two ways: to completion at once (`runSteps`, for plain
 * callers and tests) or inside an activity (`runStepsAsync`), where the event loop gets a
 * turn every second - so heartbeats, cancellation and the workflow tasks
 * that share a worker's loop are not held up by seconds of arithmetic.
 */
import { eventLoopTurn } from './turn.ts';

export type Steps<T> = Generator<void, T, void>;

export function runSteps<T>(steps: Steps<T>): T {
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/**
 * Runs `steps`, giving the event loop a turn once `sliceMs` passed since the last. One
 * second keeps workflow tasks (10 s timeout) and heartbeats (60 s) well clear, and leaves
 * the steps long stretches of CPU when a training loop in the same process takes the loop
 * back for a batch or more each turn (a GAN batch at 10M rows: ~1 s).
 */
export async function runStepsAsync<T>(steps: Steps<T>, sliceMs = 1000): Promise<T> {
  let last = Date.now();
  let r = steps.next();
  while (!r.done) {
    if (Date.now() - last >= sliceMs) {
      await eventLoopTurn();
      last = Date.now();
    }
    r = steps.next();
  }
  return r.value;
}
