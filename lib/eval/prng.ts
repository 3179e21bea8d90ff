/**
 * The evaluation layer's own seeded PRNG, so bootstrap intervals and test fixtures stay
 * bit-for-bit reproducible whatever happens to other layers' generators.
 *
 * A 32-bit SplitMix-style generator: the state walks by the golden-ratio increment (a full
 * period of 2^32 over the state) and each output is the state through a MurmurHash3-style
 * finalizer, which mixes every state bit into every output bit. Its 2^32 period is plenty
 * for bootstrap resampling (millions of draws, not billions). Never Math.random.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // Pre-mix the seed so nearby seeds (0, 1, 2, ...) start far apart.
    this.state = mix32(Math.trunc(seed) >>> 0);
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^21 (exact); larger n stays in range. */
  int(n: number): number {
    return Math.floor((this.u32() * n) / 4294967296);
  }

  /** Standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** MurmurHash3's 32-bit finalizer: xor-shifts and two odd multiplies. */
function mix32(x: number): number {
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
