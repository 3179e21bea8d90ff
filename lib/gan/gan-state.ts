/**
 * CFGAN training state (train.ts): the networks' weights, their Adam moments, the best
 * generator so far and the early-stopping counters; its zero and seeded initial values, and
 * its exact checkpoint form (a resumed run repeats the uninterrupted one).
 */
import { Rng } from '../training/random.ts';
import { LazyAdam, moments } from '../training/adam.ts';
import type { Moments } from '../training/adam.ts';
import { packState, unpackState } from '../training/train-state.ts';
import { inputWidth } from './generator.ts';
import type {
  CfganConfig,
  DiscriminatorWeights,
  GanEpochLog,
  GanVariant,
  GeneratorWeights,
} from './types.ts';

/** The best generator seen on validation. */
export interface Best {
  epoch: number;
  ndcg10: number;
  tables: Record<GTable, Float32Array>;
}

export type GTable = 'w1' | 'wz' | 'b1' | 'w2' | 'b2';
export type DTable = 'wc' | 'wx' | 'b1' | 'w2' | 'b2';
export const G_TABLES: readonly GTable[] = ['w1', 'wz', 'b1', 'w2', 'b2'];
export const D_TABLES: readonly DTable[] = ['wc', 'wx', 'b1', 'w2', 'b2'];

export interface GanState {
  epoch: number;
  g: GeneratorWeights;
  d: DiscriminatorWeights;
  gAdam: LazyAdam;
  dAdam: LazyAdam;
  gm: Record<GTable, Moments>;
  dm: Record<DTable, Moments>;
  history: GanEpochLog[];
  best?: Best;
  /** Validations in a row without a better NDCG@10. */
  sinceBest: number;
}

export function copyTables(g: GeneratorWeights): Record<GTable, Float32Array> {
  return Object.fromEntries(G_TABLES.map((t) => [t, g[t].slice()])) as Record<GTable, Float32Array>;
}

/** What the networks are sized by; checkpoints must match it. */
export interface Shape {
  variant: GanVariant;
  nUsers: number;
  nItems: number;
  /** Length of the vectors: nItems (variant user) or nUsers (variant item). */
  width: number;
  key: string;
}

export function shapeOf(c: CfganConfig, nUsers: number, nItems: number): Shape {
  const width = inputWidth({ variant: c.variant, nUsers, nItems });
  // The user variant does not depend on the user count.
  const users = c.variant === 'item' ? nUsers : 0;
  return {
    variant: c.variant,
    nUsers,
    nItems,
    width,
    key: `${c.variant}/${users}x${nItems}/${c.generatorUnits}/${c.discriminatorUnits}/${c.noiseDim}`,
  };
}

/** Zero weights and moments of this shape. */
export function zeroState(shape: Shape, c: CfganConfig): GanState {
  const { generatorUnits: hG, discriminatorUnits: hD, noiseDim: nz } = c;
  const { width } = shape;
  const f = (n: number) => new Float32Array(n);
  const g: GeneratorWeights = {
    variant: shape.variant,
    nUsers: shape.nUsers,
    nItems: shape.nItems,
    hidden: hG,
    noiseDim: nz,
    w1: f(width * hG),
    wz: f(nz * hG),
    b1: f(hG),
    w2: f(hG * width),
    b2: f(width),
  };
  const d: DiscriminatorWeights = {
    width,
    hidden: hD,
    wc: f(width * hD),
    wx: f(width * hD),
    b1: f(hD),
    w2: f(hD),
    b2: f(1),
  };
  return withOptimizers(0, g, d, c, []);
}

/**
 * Seeded initial weights: glorot (generator.ts) for each weight matrix, drawn in the order
 * of initGenerator and then the discriminator's, zero biases. `pause` is awaited between
 * chunks of draws (catalog-sized tables take a second at 10K items).
 */
export async function fresh(shape: Shape, c: CfganConfig, pause: () => Promise<void>) {
  const s = zeroState(shape, c);
  const rng = new Rng(c.seed);
  const { generatorUnits: hG, discriminatorUnits: hD, noiseDim: nz } = c;
  const { g, d } = s;
  const { width } = shape;
  const tables: [Float32Array, number, number][] = [
    [g.w1, width, hG],
    [g.wz, nz, hG],
    [g.w2, hG, width],
    [d.wc, width, hD],
    [d.wx, width, hD],
    [d.w2, hD, 1],
  ];
  for (const [a, rows, cols] of tables) {
    const std = Math.sqrt(2 / (rows + cols));
    for (let k0 = 0; k0 < a.length; k0 += 65536) {
      const k1 = Math.min(a.length, k0 + 65536);
      for (let k = k0; k < k1; k++) a[k] = std * rng.normal();
      await pause();
    }
  }
  return s;
}

export function withOptimizers(
  epoch: number,
  g: GeneratorWeights,
  d: DiscriminatorWeights,
  c: CfganConfig,
  history: GanEpochLog[],
): GanState {
  return {
    epoch,
    g,
    d,
    gAdam: new LazyAdam(c.learningRate),
    dAdam: new LazyAdam(c.learningRate),
    gm: Object.fromEntries(G_TABLES.map((t) => [t, moments(g[t].length)])) as GanState['gm'],
    dm: Object.fromEntries(D_TABLES.map((t) => [t, moments(d[t].length)])) as GanState['dm'],
    history,
    sinceBest: 0,
  };
}

export function serialize(s: GanState, c: CfganConfig, shape: Shape): Uint8Array {
  const arrays: Record<string, Float32Array> = {};
  for (const t of G_TABLES) {
    arrays[`g.${t}`] = s.g[t];
    arrays[`g.${t}.m`] = s.gm[t].m;
    arrays[`g.${t}.v`] = s.gm[t].v;
    if (s.best) arrays[`best.${t}`] = s.best.tables[t];
  }
  for (const t of D_TABLES) {
    arrays[`d.${t}`] = s.d[t];
    arrays[`d.${t}.m`] = s.dm[t].m;
    arrays[`d.${t}.v`] = s.dm[t].v;
  }
  return packState(
    {
      family: 'cfgan',
      epoch: s.epoch,
      shape: shape.key,
      gStep: s.gAdam.step,
      dStep: s.dAdam.step,
      history: s.history,
      best: s.best ? { epoch: s.best.epoch, ndcg10: s.best.ndcg10 } : null,
      sinceBest: s.sinceBest,
    },
    arrays,
  );
}

export function restore(bytes: Uint8Array, shape: Shape, c: CfganConfig): GanState {
  const { header: h, arrays: a } = unpackState(bytes);
  if (h.family !== 'cfgan' || h.shape !== shape.key)
    throw new Error(
      `checkpoint does not match this GAN (${String(h.family)} ${String(h.shape)}, expected ${shape.key})`,
    );
  const s = zeroState(shape, c);
  for (const t of G_TABLES) {
    s.g[t].set(a[`g.${t}`]!);
    s.gm[t].m.set(a[`g.${t}.m`]!);
    s.gm[t].v.set(a[`g.${t}.v`]!);
  }
  for (const t of D_TABLES) {
    s.d[t].set(a[`d.${t}`]!);
    s.dm[t].m.set(a[`d.${t}.m`]!);
    s.dm[t].v.set(a[`d.${t}.v`]!);
  }
  s.gAdam.step = h.gStep as number;
  s.dAdam.step = h.dStep as number;
  s.epoch = h.epoch as number;
  s.history = h.history as GanEpochLog[];
  const best = h.best as { epoch: number; ndcg10: number } | null | undefined;
  if (best) {
    const tables = Object.fromEntries(
      G_TABLES.map((t) => [t, a[`best.${t}`]!.slice()]),
    ) as Best['tables'];
    s.best = { ...best, tables };
  }
  s.sinceBest = (h.sinceBest as number | undefined) ?? 0;
  return s;
}
