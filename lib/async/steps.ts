/**
 * Long pure computations written as generators that `yield` at safe points between chunks
 * of work. The same code then runs two ways: to completion at once (`runSteps`, for plain
 * callers and tests) or inside an activity (`runStepsAsync`), where the event loop gets a
 * turn every 200 ms - so heartbeats, cancellation and the workflow tasks
 * that share a worker's loop are not held up by seconds of arithmetic.
 */
export type Steps<T> = Generator<void, T, void>;

export function runSteps<T>(steps: Steps<T>): T {
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/**
 * Runs `steps`, giving the event loop a turn once `everyMs` passed since the last. 200 ms
 * keeps workflow tasks and heartbeats far from their timeouts while, next to a training
 * loop that yields every 100 ms in the same process, the steps still get most of the CPU.
 */
export async function runStepsAsync<T>(steps: Steps<T>, everyMs = 200): Promise<T> {
  let last = Date.now();
  let r = steps.next();
  while (!r.done) {
    if (Date.now() - last >= everyMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = Date.now();
    }
    r = steps.next();
  }
  return r.value;
}
