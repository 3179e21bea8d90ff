/**
 * What every training loop (BPR-MF, NeuMF, iALS, CFGAN, the sequence model) shares:
 * per-epoch randomness that a resumed run reproduces, and yielding to the event loop so
 * heartbeats and cancellation get through. Early stopping is in early-stopping.ts.
 */
import { eventLoopTurn } from '../async/turn.ts';
import { Rng } from './random.ts';

/** The generator of one epoch: a function of (seed, epoch) only, so resuming repeats it. */
export function epochRng(seed: number, epoch: number): Rng {
  return new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch, 0x85ebca6b)) >>> 0);
}

/**
 * A seeded Fisher-Yates permutation of `a` (a copy; `a` is left as it is), whose elements
 * are records of `width` consecutive ints moved whole. The generator is drawn the same way
 * for any width, so records permute exactly as single ints would.
 */
export function shuffled(a: Int32Array, rng: Rng, width = 1): Int32Array {
  const out = a.slice();
  for (let k = out.length / width - 1; k > 0; k--) {
    const x = width * k;
    const y = width * rng.int(k + 1);
    for (let c = 0; c < width; c++) {
      const t = out[x + c]!;
      out[x + c] = out[y + c]!;
      out[y + c] = t;
    }
  }
  return out;
}

/** Yields to the event loop when at least `everyMs` passed since the last yield. */
export class EventLoopYielder {
  private last = Date.now();

  constructor(private readonly everyMs = 100) {}

  async maybeYield(): Promise<void> {
    if (Date.now() - this.last <= this.everyMs) return;
    await eventLoopTurn();
    this.last = Date.now();
  }
}
