/**
 * Resolves once the event loop has been through a whole turn: timers, I/O callbacks
 * (heartbeats, gRPC) and immediates. One setImmediate is not enough: awaited from a timer
 * or an I/O callback it resolves in the same turn's check phase, without polling I/O, so
 * two slices of work ran back to back (2 s stalls with 1 s slices at 10M rows).
 */
export async function eventLoopTurn(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}
