/**
 * Implicit-ALS training (`family: ials`, the math in ials.ts): each epoch re-solves every
 * user row against the item table, then every item row against the users, on `model.threads`
 * threads with the SIMD kernel (ials-threads.ts; the same factors for any count). No
 * randomness after the seeded initialisation, so a run resumed from a checkpoint repeats the
 * uninterrupted run exactly. The result is a plain factor model, saved and scored like
 * BPR-MF's (its item bias stays 0).
 */
import { Rng } from '../../training/random.ts';
import { BprMfModel } from '../bpr/bpr-mf.ts';
import type { BprMfWeights } from '../bpr/bpr-mf.ts';
import { WasmArena, arenaBytes, countAllocations, heapAllocator } from '../../compute/arena.ts';
import type { Allocator } from '../../compute/arena.ts';
import { JsRowProducts, addDiagonal, cgSolveRows, gram, objective, observations } from './ials.ts';
import type { CgScratch, Observations, RowProducts } from './ials.ts';
import { IalsSimd, SimdRowProducts, ialsSimdAvailable } from './ials-simd.ts';
import { IalsThreads } from './ials-threads.ts';
import { resolveThreads } from '../../compute/thread-pool.ts';
import { packState, unpackState } from '../../training/train-state.ts';
import { validateTrainingSet } from '../training-pairs.ts';
import { EventLoopYielder } from '../../training/training-loop.ts';
import { finishEpoch, progressFromHeader, progressHeader } from '../../training/early-stopping.ts';
import { validationNdcg10 } from '../validation-score.ts';
import type { EarlyStopState } from '../../training/early-stopping.ts';
import type {
  EpochLog,
  TrainConfig,
  TrainHooks,
  TrainResult,
  TrainingSet,
  ValidationData,
} from '../types.ts';

/** Rows solved between checks of the abort signal and the event-loop clock. */
const CHUNK_ROWS = 1024;

export async function trainIals(
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  validateTrainingSet(set);
  const { nUsers, nItems } = set;
  const dim = config.factors;
  const alpha = config.alpha;
  if (alpha === undefined) throw new Error('family ials needs model.alpha (the config gives 10)');
  const lambda = config.l2;
  const steps = config.cgSteps ?? 3;
  // Everything the products read lives in one wasm memory when the SIMD kernel runs.
  const simd = ialsSimdAvailable(dim);
  // Threads split the SIMD kernel's rows; the JS loops stay on this thread.
  const threads = simd ? Math.min(resolveThreads(config.threads, set.n), nUsers, nItems) : 1;
  const layout = (alloc: Allocator) => ({
    users: alloc.floats(nUsers * dim),
    items: alloc.floats(nItems * dim),
    byUser: observations(set, alpha, 'user', alloc),
    byItem: observations(set, alpha, 'item', alloc),
    gram: alloc.floats(dim * dim),
    // CG's scratch vectors: where the kernel reads them, else float64 for the JS loops.
    vectors: [0, 1, 2, 3].map(() =>
      simd ? alloc.floats(dim) : new Float64Array(dim),
    ) as CgScratch,
    threadVectors: Array.from({ length: threads > 1 ? threads : 0 }, () =>
      [0, 1, 2, 3].map(() => alloc.floats(dim)),
    ),
  });
  const bytes = arenaBytes(countAllocations((a) => void layout(a)));
  const arena = simd ? (threads > 1 ? WasmArena.shared(bytes) : new WasmArena(bytes)) : undefined;
  const tables = layout(arena ?? heapAllocator);
  const kernel = arena && new IalsSimd(arena, dim);
  const state = hooks.resumeFrom
    ? restore(hooks.resumeFrom, set, config, tables)
    : fresh(nUsers, nItems, dim, config.seed, tables);
  const { w } = state;
  const { byUser, byItem } = tables;
  const yielder = new EventLoopYielder();

  /** The products of one side: its rows against `fixed`, whose Gram matrix is `g`. */
  const productsOf = (fixed: Float32Array, g: Float64Array, obs: Observations): RowProducts => {
    const gramReg = addDiagonal(g.slice(), lambda);
    if (!kernel) return new JsRowProducts(fixed, gramReg, obs, dim);
    tables.gram.set(gramReg);
    return new SimdRowProducts(kernel, fixed, tables.gram, obs, dim);
  };
  const solveAll = async (products: RowProducts, solve: Float32Array) => {
    const rows = solve.length / dim;
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      hooks.signal?.throwIfAborted();
      const to = Math.min(rows, from + CHUNK_ROWS);
      cgSolveRows(products, solve, dim, steps, from, to, tables.vectors);
      await yielder.maybeYield();
    }
  };

  let stoppedEarly = false;
  let itemsGram = gram(w.items, dim);
  const pool =
    arena && threads > 1
      ? await IalsThreads.start(arena, tables, dim, steps, hooks.signal)
      : undefined;
  try {
    for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
      const t0 = Date.now();
      // Each Gram matrix serves a half-epoch and the objective: one per table and epoch.
      const userSide = productsOf(w.items, itemsGram, byUser);
      if (pool) await pool.solve('users', hooks.signal);
      else await solveAll(userSide, w.users);
      const usersGram = pool ? await pool.gram('users', hooks.signal) : gram(w.users, dim);
      const itemSide = productsOf(w.users, usersGram, byItem);
      if (pool) await pool.solve('items', hooks.signal);
      else await solveAll(itemSide, w.items);
      itemsGram = pool ? await pool.gram('items', hooks.signal) : gram(w.items, dim);
      let observed = 0;
      if (pool) observed = await pool.observedLoss(hooks.signal);
      else
        for (let u = 0; u < nUsers; u++)
          observed += userSide.loss(u, w.users.subarray(u * dim, (u + 1) * dim));
      const log: EpochLog = {
        epoch,
        loss: objective(usersGram, itemsGram, observed, lambda, set.n),
        samples: set.n,
        seconds: (Date.now() - t0) / 1000,
      };
      const stop = await finishEpoch(state, log, config, hooks, {
        validate: () => validationNdcg10(new BprMfModel(w, 'ials'), validation, hooks.signal),
        snapshot: () => ({ ...w, users: w.users.slice(), items: w.items.slice() }),
        serialize: () => serialize(state),
      });
      if (stop) {
        stoppedEarly = epoch < config.epochs;
        break;
      }
    }
  } finally {
    await pool?.close();
  }
  return {
    model: new BprMfModel(state.best ?? w, 'ials'),
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValidNdcg10: state.bestScore,
    stoppedEarly,
    backend: 'js',
    kernel: kernel ? 'cg-simd' : 'cg-js',
    threads: pool?.threads ?? 1,
  };
}

interface TrainState extends EarlyStopState<BprMfWeights> {
  w: BprMfWeights;
}

/** Where the factor tables live (the kernel's arena, or the JS heap). */
interface Tables {
  users: Float32Array;
  items: Float32Array;
}

/** Small random factors (a zero start would leave CG nothing to separate items by). */
function fresh(nUsers: number, nItems: number, dim: number, seed: number, t: Tables): TrainState {
  const rng = new Rng(seed);
  for (const a of [t.users, t.items]) for (let k = 0; k < a.length; k++) a[k] = 0.01 * rng.normal();
  const w: BprMfWeights = {
    nUsers,
    nItems,
    dim,
    users: t.users,
    items: t.items,
    itemBias: new Float32Array(nItems),
  };
  return { epoch: 0, w, bestScore: -1, bestEpoch: 0, bad: 0, history: [] };
}

function serialize(s: TrainState): Uint8Array {
  const arrays: Record<string, Float32Array> = { users: s.w.users, items: s.w.items };
  if (s.best) {
    arrays['best.users'] = s.best.users;
    arrays['best.items'] = s.best.items;
  }
  const { nUsers, nItems, dim } = s.w;
  return packState({ family: 'ials', nUsers, nItems, dim, ...progressHeader(s) }, arrays);
}

function restore(bytes: Uint8Array, set: TrainingSet, config: TrainConfig, t: Tables): TrainState {
  const { header: h, arrays: a } = unpackState(bytes);
  if (
    h.family !== 'ials' ||
    h.nUsers !== set.nUsers ||
    h.nItems !== set.nItems ||
    h.dim !== config.factors
  )
    throw new Error(
      `checkpoint does not match this training (${String(h.family)} ${String(h.nUsers)}x${String(h.nItems)} dim ${String(h.dim)})`,
    );
  const itemBias = new Float32Array(set.nItems);
  t.users.set(a.users!);
  t.items.set(a.items!);
  const w: BprMfWeights = {
    nUsers: set.nUsers,
    nItems: set.nItems,
    dim: config.factors,
    users: t.users,
    items: t.items,
    itemBias,
  };
  return {
    ...progressFromHeader(h),
    w,
    best: a['best.users'] ? { ...w, users: a['best.users'], items: a['best.items']! } : undefined,
  };
}
