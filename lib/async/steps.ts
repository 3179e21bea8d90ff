/**
 * Long pure computations written as generators that `yield` at safe points between chunks
 * of work. The same code then runs two ways: to completion at once (`runSteps`, for plain
 * callers and tests) or inside an activity (`runStepsAsync`), where the event loop gets a
 * turn every few tens of milliseconds - so heartbeats, cancellation and the workflow tasks
 * that share a worker's loop are not held up by seconds of arithmetic.
 */
export type Steps<T> = Generator<void, T, void>;

export function runSteps<T>(steps: Steps<T>): T {
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

export async function runStepsAsync<T>(steps: Steps<T>, everyMs = 50): Promise<T> {
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
