/**
 * NeuMF's weights: named float32 tables in a fixed order, their shapes and initialisation.
 * The model, its trainer, kernels and scorer all build on these.
 */
import { heapAllocator } from '../../compute/arena.ts';
import type { Allocator } from '../../compute/arena.ts';

export interface NeuMfShape {
  nUsers: number;
  nItems: number;
  factors: number;
  /** MLP hidden sizes; the MLP's input is 2 x factors. */
  layers: number[];
}

export interface NeuMfWeights extends NeuMfShape {
  /** userGmf, itemGmf, userMlp, itemMlp, w1..wL, b1..bL, h, h0 (see tableShapes). */
  tables: Record<string, Float32Array>;
}

/** Every table of a NeuMF of this shape, in a fixed order: [name, rows, cols]. */
export function tableShapes(s: NeuMfShape): [string, number, number][] {
  const out: [string, number, number][] = [
    ['userGmf', s.nUsers, s.factors],
    ['itemGmf', s.nItems, s.factors],
    ['userMlp', s.nUsers, s.factors],
    ['itemMlp', s.nItems, s.factors],
  ];
  let fanIn = 2 * s.factors;
  s.layers.forEach((size, l) => {
    out.push([`w${l + 1}`, fanIn, size], [`b${l + 1}`, 1, size]);
    fanIn = size;
  });
  out.push(['h', s.factors + fanIn, 1], ['h0', 1, 1]);
  return out;
}

/** The embedding tables (sparse, row-updated); the rest are dense layers. */
export const EMBEDDINGS = ['userGmf', 'itemGmf', 'userMlp', 'itemMlp'] as const;

/** Initial weights: embeddings N(0, 0.01^2) as in the paper, layers Glorot-normal, biases 0. */
export function initNeuMf(
  shape: NeuMfShape,
  normal: () => number,
  alloc: Allocator = heapAllocator,
): NeuMfWeights {
  const tables: Record<string, Float32Array> = {};
  for (const [name, rows, cols] of tableShapes(shape)) {
    const a = alloc.floats(rows * cols);
    const std = (EMBEDDINGS as readonly string[]).includes(name)
      ? 0.01
      : name.startsWith('b') || name === 'h0'
        ? 0
        : Math.sqrt(2 / (rows + cols));
    if (std > 0) for (let k = 0; k < a.length; k++) a[k] = std * normal();
    tables[name] = a;
  }
  return { ...shape, layers: [...shape.layers], tables };
}

export function copyNeuMf(w: NeuMfWeights): NeuMfWeights {
  return {
    ...w,
    layers: [...w.layers],
    tables: Object.fromEntries(Object.entries(w.tables).map(([k, v]) => [k, v.slice()])),
  };
}
