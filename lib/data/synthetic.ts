import { Rng, sampleCumulative } from './random.ts';
import { IdMap } from './table.ts';
import type { Interactions, ItemMeta } from './table.ts';

export interface SyntheticSpec {
  users: number;
  items: number;
  interactions: number;
  seed: number;
  /** Taste clusters, one per genre. @default 12 */
  clusters?: number;
}

export const GENRES = [
  'Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western', 'Family', 'Noir',
]; // prettier-ignore

const ADJECTIVES = [
  'Silent', 'Crimson', 'Hidden', 'Last', 'Golden', 'Broken', 'Midnight', 'Wild', 'Distant', 'Burning',
  'Frozen', 'Lonely', 'Electric', 'Secret', 'Endless', 'Iron', 'Paper', 'Velvet', 'Savage', 'Gentle',
]; // prettier-ignore
const NOUNS = [
  'Harbor', 'Kingdom', 'Road', 'Garden', 'Signal', 'River', 'Empire', 'Witness', 'Orchard', 'Machine',
  'Frontier', 'Station', 'Letter', 'Mirror', 'Storm', 'Circus', 'Island', 'Shadow', 'Promise', 'Engine',
]; // prettier-ignore

/** Two years of activity starting 2020-09-13 (seconds). */
const T0 = 1_600_000_000;
const SPAN = 2 * 365 * 24 * 3600;

/**
 * A synthetic interaction log that behaves like a real one, deterministic per seed:
 * - items have a genre (taste cluster) and power-law popularity;
 * - users have a favourite genre, drift towards a second one over time, and a
 *   heavy-tailed activity level;
 * - 75% of interactions follow taste, the rest follow global popularity;
 * - in-taste items get higher ratings, so rating >= 4 positives carry real signal that a
 *   collaborative model can learn and popularity alone cannot.
 */
export function generateSynthetic(spec: SyntheticSpec): {
  table: Interactions;
  users: IdMap;
  items: IdMap;
  meta: ItemMeta;
} {
  const rng = new Rng(spec.seed);
  const G = Math.min(spec.clusters ?? 12, GENRES.length);
  const nU = spec.users;
  const nI = spec.items;
  const n = spec.interactions;

  // Items: genre, secondary genre, power-law popularity over a random rank order.
  const genre = new Int32Array(nI);
  const rank = new Int32Array(nI);
  for (let i = 0; i < nI; i++) rank[i] = i;
  for (let i = nI - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = rank[i]!;
    rank[i] = rank[j]!;
    rank[j] = t;
  }
  const weight = new Float64Array(nI);
  const byGenre: number[][] = Array.from({ length: G }, () => []);
  const meta: ItemMeta = { title: new Array<string>(nI), genres: new Array<string>(nI) };
  for (let i = 0; i < nI; i++) {
    genre[i] = rng.int(G);
    weight[i] = 1 / Math.pow(rank[i]! + 1, 0.9);
    byGenre[genre[i]!]!.push(i);
    const second = rng.next() < 0.4 ? (genre[i]! + 1 + rng.int(G - 1)) % G : -1;
    meta.genres[i] = second >= 0 ? `${GENRES[genre[i]!]}|${GENRES[second]}` : GENRES[genre[i]!]!;
    const year = 1950 + rng.int(74);
    meta.title[i] =
      `The ${ADJECTIVES[rng.int(ADJECTIVES.length)]} ${NOUNS[rng.int(NOUNS.length)]} ${i + 1} (${year})`;
  }
  const cumAll = cumulative(weight, null);
  const cumGenre = byGenre.map((members) => ({
    members: Int32Array.from(members),
    cum: cumulative(weight, members),
  }));

  // Users: favourite genre, drift genre, lognormal activity.
  const fav = new Int32Array(nU);
  const drift = new Int32Array(nU);
  const activity = new Float64Array(nU);
  for (let u = 0; u < nU; u++) {
    fav[u] = rng.int(G);
    drift[u] = rng.next() < 0.5 ? fav[u]! : rng.int(G);
    activity[u] = Math.exp(1.1 * rng.normal());
  }
  const cumUsers = cumulative(activity, null);

  const table: Interactions = {
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    rating: new Float32Array(n),
    ts: new Float64Array(n),
  };
  // Every user gets a first interaction so no user is empty; the rest follow activity.
  for (let k = 0; k < n; k++) {
    const u = k < nU ? k : sampleCumulative(cumUsers, rng.next());
    const tau = rng.next();
    let it: number;
    let inTaste: boolean;
    if (rng.next() < 0.75) {
      const g = rng.next() < tau ? drift[u]! : fav[u]!;
      const pool = cumGenre[g]!;
      if (pool.members.length === 0) {
        it = sampleCumulative(cumAll, rng.next());
      } else {
        it = pool.members[sampleCumulative(pool.cum, rng.next())]!;
      }
      inTaste = true;
    } else {
      it = sampleCumulative(cumAll, rng.next());
      inTaste = genre[it] === fav[u] || genre[it] === drift[u];
    }
    const mean = inTaste ? 4.1 : 2.6;
    const r = Math.min(5, Math.max(1, Math.round((mean + 0.8 * rng.normal()) * 2) / 2));
    table.user[k] = u;
    table.item[k] = it;
    table.rating[k] = r;
    table.ts[k] = T0 + Math.floor(tau * SPAN);
  }

  const users = new IdMap();
  for (let u = 0; u < nU; u++) users.fromNumber(u + 1);
  const items = new IdMap();
  for (let i = 0; i < nI; i++) items.fromNumber(i + 1);
  return { table, users, items, meta };
}

function cumulative(weight: Float64Array, members: number[] | null): Float64Array {
  const len = members ? members.length : weight.length;
  const cum = new Float64Array(len);
  let acc = 0;
  for (let k = 0; k < len; k++) {
    acc += weight[members ? members[k]! : k]!;
    cum[k] = acc;
  }
  return cum;
}
