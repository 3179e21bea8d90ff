/**
 * What every training loop (BPR-MF, CFGAN) shares: per-epoch randomness that a resumed run
 * reproduces, and yielding to the event loop so heartbeats and cancellation get through.
 */
import { Rng } from '../data/random.ts';

/** The generator of one epoch: a function of (seed, epoch) only, so resuming repeats it. */
export function epochRng(seed: number, epoch: number): Rng {
  return new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch, 0x85ebca6b)) >>> 0);
}

/** A seeded Fisher-Yates permutation of `a` (a copy; `a` is left as it is). */
export function shuffled(a: Int32Array, rng: Rng): Int32Array {
  const out = a.slice();
  for (let k = out.length - 1; k > 0; k--) {
    const r = rng.int(k + 1);
    const t = out[k]!;
    out[k] = out[r]!;
    out[r] = t;
  }
  return out;
}

/** Yields to the event loop when at least `everyMs` passed since the last yield. */
export class EventLoopYielder {
  private last = Date.now();

  constructor(private readonly everyMs = 100) {}

  async maybeYield(): Promise<void> {
    if (Date.now() - this.last <= this.everyMs) return;
    await new Promise<void>((r) => setImmediate(r));
    this.last = Date.now();
  }
}
