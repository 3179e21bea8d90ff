/**
 * The project's seeded randomness: two generators behind one interface, Walker alias
 * tables for O(1) weighted draws, and a table-based normal. Math.random is never used, so
 * the same seed gives the same artifacts on every platform.
 *
 * - {@link Rng} (xoshiro128**): data generation, splits, sampling, training.
 * - {@link SplitMix32}: the evaluation layer (bootstrap intervals, its test fixtures).
 *
 * Each caller keeps the generator whose stream its stored results depend on; the two are not
 * interchangeable (same seed, different draws).
 */
/** What both generators offer. */
export interface RandomSource {
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draw (Box-Muller). */
  normal(): number;
}

/** xoshiro128** seeded through splitmix32: fast, with independent streams via {@link fork}. */
export class Rng implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 expands the seed into four words (never all zero).
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() || 1;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const b = this.b;
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n), n <= 2^32. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller; use `fastNormal` in hot loops). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Writes the four state words into `out`, to continue the stream elsewhere. */
  saveState(out: Int32Array): void {
    out[0] = this.a;
    out[1] = this.b;
    out[2] = this.c;
    out[3] = this.d;
  }

  /** Continues the stream from state words written by {@link saveState} (or a copy of it). */
  loadState(from: Int32Array): void {
    this.a = from[0]!;
    this.b = from[1]!;
    this.c = from[2]!;
    this.d = from[3]!;
  }

  /** An independent generator derived from this one (for a separate stream). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** 4096 standard-normal quantiles: `NORMAL_TABLE[rng.u32() & 4095]` is a cheap normal. */
export const NORMAL_TABLE: Float64Array = (() => {
  const t = new Float64Array(4096);
  for (let i = 0; i < t.length; i++) t[i] = inverseNormal((i + 0.5) / t.length);
  return t;
})();

/** Acklam's rational approximation of the standard normal quantile (|error| < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
} // prettier-ignore

/**
 * Walker/Vose alias table: draws index i with probability weight[i] / sum in O(1) from
 * one 32-bit random number.
 */
export class AliasTable {
  readonly n: number;
  private readonly prob: Uint32Array; // threshold scaled to 2^32
  private readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new Error('alias table needs at least one weight');
    this.n = n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i]!;
    if (!(sum > 0)) throw new Error('alias table weights must sum to a positive number');
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = (weights[i]! * n) / sum;
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let ns = 0;
    let nl = 0;
    for (let i = 0; i < n; i++) {
      if (scaled[i]! < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    this.prob = new Uint32Array(n);
    this.alias = new Int32Array(n);
    while (ns > 0 && nl > 0) {
      const s = small[--ns]!;
      const l = large[nl - 1]!;
      this.prob[s] = Math.floor(scaled[s]! * 4294967295);
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      if (scaled[l]! < 1) {
        nl--;
        small[ns++] = l;
      }
    }
    while (nl > 0) {
      const l = large[--nl]!;
      this.prob[l] = 4294967295;
      this.alias[l] = l;
    }
    while (ns > 0) {
      const s = small[--ns]!;
      this.prob[s] = 4294967295;
      this.alias[s] = s;
    }
  }

  /** One weighted draw. */
  sample(rng: Rng): number {
    const i = Math.floor(rng.next() * this.n);
    return rng.u32() <= this.prob[i]! ? i : this.alias[i]!;
  }
}

/**
 * A 32-bit SplitMix-style generator: the state walks by the golden-ratio increment (a full
 * period of 2^32 over the state) and each output is the state through a MurmurHash3-style
 * finalizer, which mixes every state bit into every output bit. Its 2^32 period is plenty
 * for bootstrap resampling (millions of draws, not billions).
 */
export class SplitMix32 implements RandomSource {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // Pre-mix the seed so nearby seeds (0, 1, 2, ...) start far apart.
    this.state = mix32(Math.trunc(seed) >>> 0);
  }

  u32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state);
  }

  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^21 (exact); larger n stays in range. */
  int(n: number): number {
    return Math.floor((this.u32() * n) / 4294967296);
  }

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
