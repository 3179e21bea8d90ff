/**
 * Implicit-ALS training (`family: ials`, the math in ials.ts): each epoch re-solves every
 * user row against the item table, then every item row against the users, on `model.threads`
 * threads with the SIMD kernel (ials-threads.ts; the same factors and losses for any
 * count). Each item's share of the objective's observed part is computed as its row is
 * solved; the shares are summed in item order.
 * No randomness after the seeded initialisation, so a run resumed from a checkpoint repeats
 * the uninterrupted run exactly. The result is a plain factor model, saved and scored like
 * BPR-MF's (its item bias stays 0).
 */
import { Rng } from '../../training/random.ts';
import { BprMfModel } from '../bpr/bpr-mf.ts';
import type { BprMfWeights } from '../bpr/bpr-mf.ts';
import { WasmArena, arenaBytes, countAllocations, heapAllocator } from '../../compute/arena.ts';
import type { Allocator } from '../../compute/arena.ts';
import {
  JsRowProducts,
  cgSolveRows,
  gram,
  mirrorUpper,
  objective,
  observations,
  regularizedGram,
} from './ials.ts';
import type { CgScratch, Observations } from './ials.ts';
import { IalsSimd, SimdRowSolver, ialsScratchFloats, ialsSimdAvailable } from './ials-simd.ts';
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
    // The two tables' Gram matrices, float64 (two floats' room per entry).
    usersGram: doubles(alloc.floats(2 * dim * dim)),
    itemsGram: doubles(alloc.floats(2 * dim * dim)),
    // Per item: its share of the objective, summed in item order (float64).
    itemLoss: doubles(alloc.floats(2 * nItems)),
    // The kernel's scratch, else float64 vectors for the JS loops' CG.
    scratch: simd ? alloc.floats(ialsScratchFloats(dim)) : undefined,
    vectors: [0, 1, 2, 3].map(() => new Float64Array(dim)) as CgScratch,
    threadScratch: Array.from({ length: threads > 1 ? threads : 0 }, () => ({
      gram: alloc.floats(dim * dim),
      scratch: alloc.floats(ialsScratchFloats(dim)),
    })),
  });
  const bytes = arenaBytes(countAllocations((a) => void layout(a)));
  const arena = simd ? (threads > 1 ? WasmArena.shared(bytes) : new WasmArena(bytes)) : undefined;
  const tables = layout(arena ?? heapAllocator);
  const kernel = arena && new IalsSimd(arena, dim);
  const state = hooks.resumeFrom
    ? restore(hooks.resumeFrom, set, config, tables)
    : fresh(nUsers, nItems, dim, config.seed, tables);
  const { w } = state;
  const { byUser, byItem, usersGram, itemsGram, itemLoss } = tables;
  const yielder = new EventLoopYielder();

  /**
   * Solves ranges of the rows of `solve` against `fixed`, whose Gram matrix is `g`; with
   * `loss`, writes each row's objective term there.
   */
  const solverOf = (
    solve: Float32Array,
    fixed: Float32Array,
    g: Float64Array,
    obs: Observations,
    loss?: Float64Array,
  ): ((from: number, to: number) => void) => {
    const gramReg = regularizedGram(g, dim, lambda);
    if (kernel) {
      tables.gram.set(gramReg);
      const t = { solve, fixed, gramReg: tables.gram, obs, scratch: tables.scratch!, loss };
      const solver = new SimdRowSolver(kernel, t, steps);
      return (from, to) => solver.solve(from, to);
    }
    const products = new JsRowProducts(fixed, gramReg, obs, dim);
    return (from, to) => {
      cgSolveRows(products, solve, dim, steps, from, to, tables.vectors);
      if (loss)
        for (let r = from; r < to; r++)
          loss[r] = products.loss(r, solve.subarray(r * dim, (r + 1) * dim));
    };
  };
  /** A table's Gram matrix into `g` (full; the same bits from the kernel and the JS loops). */
  const gramOf = (table: Float32Array, g: Float64Array) => {
    if (kernel) kernel.gram(table, g, tables.scratch!);
    else g.set(gram(table, dim));
    mirrorUpper(g, dim);
  };
  /** Re-solves every one of `rows` rows, a chunk at a time. */
  const solveAll = async (rows: number, solveRange: (from: number, to: number) => void) => {
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      hooks.signal?.throwIfAborted();
      solveRange(from, Math.min(rows, from + CHUNK_ROWS));
      await yielder.maybeYield();
    }
  };

  let stoppedEarly = false;
  gramOf(w.items, itemsGram);
  const pool =
    arena && threads > 1
      ? await IalsThreads.start(arena, tables, { dim, steps, lambda }, hooks.signal)
      : undefined;
  try {
    for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
      const t0 = Date.now();
      // Each Gram matrix serves a half-epoch and the objective: one per table and epoch.
      if (pool) {
        await pool.epoch(hooks.signal);
        mirrorUpper(usersGram, dim);
        mirrorUpper(itemsGram, dim);
      } else {
        await solveAll(nUsers, solverOf(w.users, w.items, itemsGram, byUser));
        gramOf(w.users, usersGram);
        await solveAll(nItems, solverOf(w.items, w.users, usersGram, byItem, itemLoss));
        gramOf(w.items, itemsGram);
      }
      let observed = 0;
      for (const x of itemLoss) observed += x;
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

/** A float64 view of `a`'s bytes (the arena allocates 4-byte elements). */
function doubles(a: Float32Array): Float64Array {
  return new Float64Array(a.buffer, a.byteOffset, a.length / 2);
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
