/** Small inputs and invariant checks shared by the resample tests. */
import { Rng } from '../../../lib/training/random.ts';
import { DEFAULT_RESAMPLE_CONFIG, SOURCE } from '../../../lib/sampling/index.ts';
import type {
  ResampleConfig,
  ResampledSet,
  ResampleInput,
  SyntheticSource,
  SyntheticSourceName,
} from '../../../lib/sampling/index.ts';

export function config(over: Partial<ResampleConfig> = {}): ResampleConfig {
  return {
    ...DEFAULT_RESAMPLE_CONFIG,
    negatives: { ...DEFAULT_RESAMPLE_CONFIG.negatives },
    ...over,
  };
}

/** Pairs as columns. */
export function rows(pairs: [number, number][]): { n: number; user: Int32Array; item: Int32Array } {
  return {
    n: pairs.length,
    user: Int32Array.from(pairs, (p) => p[0]),
    item: Int32Array.from(pairs, (p) => p[1]),
  };
}

export function source(
  kind: SyntheticSourceName,
  list: { u: number; i: number; score?: number; label?: number; pl?: number }[],
): SyntheticSource {
  return {
    source: kind,
    ...rows(list.map((r) => [r.u, r.i])),
    score: Float32Array.from(list, (r) => r.score ?? 1),
    label: Uint8Array.from(list, (r) => r.label ?? 1),
    plausibility: Float32Array.from(list, (r) => r.pl ?? 0),
  };
}

/**
 * A random input: users with 1..60 real items (Zipf-ish popularity), a GAN source and an
 * LLM source (half dislikes) of `synPerUser` rows per user on average, some copying real rows.
 */
export function randomInput(
  seed: number,
  nUsers = 400,
  nItems = 300,
  synPerUser = 8,
): ResampleInput {
  const rng = new Rng(seed);
  const pick = () => Math.min(nItems - 1, Math.floor(nItems * rng.next() ** 2));
  const ru: number[] = [];
  const ri: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const deg = 1 + rng.int(60);
    for (let d = 0; d < deg; d++) {
      ru.push(u);
      ri.push(pick());
    }
  }
  const syn = (kind: 'gan' | 'llm', m: number): SyntheticSource => {
    const s: SyntheticSource = {
      source: kind,
      n: m,
      user: new Int32Array(m),
      item: new Int32Array(m),
      score: new Float32Array(m),
      label: new Uint8Array(m),
      plausibility: new Float32Array(m),
    };
    for (let k = 0; k < m; k++) {
      if (rng.next() < 0.1) {
        const r = rng.int(ru.length);
        s.user[k] = ru[r]!;
        s.item[k] = ri[r]!;
      } else {
        s.user[k] = rng.int(nUsers);
        s.item[k] = rng.int(nItems);
      }
      s.score[k] = rng.next();
      s.plausibility![k] = rng.normal();
      s.label![k] = kind === 'llm' && k % 2 === 1 ? 0 : 1;
    }
    return s;
  };
  return {
    nUsers,
    nItems,
    train: { n: ru.length, user: Int32Array.from(ru), item: Int32Array.from(ri) },
    synthetic: [syn('gan', nUsers * synPerUser), syn('llm', nUsers * synPerUser)],
  };
}

/** Keys of (user, item) pairs with a given label. */
export function pairs(s: ResampledSet, label?: number, src?: number): Set<number> {
  const out = new Set<number>();
  for (let k = 0; k < s.n; k++) {
    if (label !== undefined && s.label[k] !== label) continue;
    if (src !== undefined && s.source[k] !== src) continue;
    out.add(s.user[k]! * s.nItems + s.item[k]!);
  }
  return out;
}

/**
 * Throws unless: invariants every output set must hold: column lengths, ids in range, (user, item) order,
 * unique positives, negatives never on a positive, weights > 0, labels by source.
 */
export function checkSet(s: ResampledSet): void {
  for (const col of [s.user, s.item, s.label, s.weight, s.source, s.score])
    if (col.length !== s.n) throw new Error(`column of ${col.length} rows, n = ${s.n}`);
  const pos = pairs(s, 1);
  let positives = 0;
  for (let k = 0; k < s.n; k++) {
    const u = s.user[k]!;
    const i = s.item[k]!;
    if (!(u >= 0 && u < s.nUsers && i >= 0 && i < s.nItems))
      throw new Error(`row ${k}: (${u}, ${i}) out of range`);
    if (k > 0) {
      const pu = s.user[k - 1]!;
      const pi = s.item[k - 1]!;
      if (pu > u || (pu === u && pi > i)) throw new Error(`row ${k} out of (user, item) order`);
    }
    if (!(s.weight[k]! > 0)) throw new Error(`row ${k}: weight ${s.weight[k]}`);
    if (s.label[k] === 1) {
      positives++;
      if (s.source[k] === SOURCE.sampled) throw new Error(`row ${k}: sampled positive`);
    } else if (pos.has(u * s.nItems + i)) {
      throw new Error(`row ${k}: negative (${u}, ${i}) is a positive of the set`);
    }
    if (s.source[k] === SOURCE.real || s.source[k] === SOURCE.sampled) {
      if (!Number.isNaN(s.score[k]!) || s.weight[k] !== 1)
        throw new Error(
          `row ${k}: real/sampled row with score ${s.score[k]}, weight ${s.weight[k]}`,
        );
    }
  }
  if (pos.size !== positives) throw new Error(`${positives - pos.size} duplicate positives`);
}
