/**
 * Implicit-ALS training (`family: ials`, the math in ials.ts): each epoch re-solves every
 * user row against the item table, then every item row against the users. No randomness
 * after the seeded initialisation, so a run resumed from a checkpoint repeats the
 * uninterrupted run exactly. The result is a plain factor model, saved and scored like
 * BPR-MF's (its item bias stays 0).
 */
import { Rng } from '../data/random.ts';
import { evaluateFullRankingAsync } from '../eval/full-ranking.ts';
import { BprMfModel } from './bpr-mf.ts';
import type { BprMfWeights } from './bpr-mf.ts';
import { CgSolver, addDiagonal, gram, objective, observations } from './ials.ts';
import type { Observations } from './ials.ts';
import { packState, unpackState } from './train-state.ts';
import { validateTrainingSet } from './training-pairs.ts';
import {
  EventLoopYielder,
  finishEpoch,
  progressFromHeader,
  progressHeader,
} from './training-loop.ts';
import type { EarlyStopState } from './training-loop.ts';
import type {
  EpochLog,
  TrainConfig,
  TrainHooks,
  TrainResult,
  TrainingSet,
  ValidationData,
} from './types.ts';

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
  const alpha = config.alpha ?? 1;
  const lambda = config.l2;
  const state = hooks.resumeFrom
    ? restore(hooks.resumeFrom, set, config)
    : fresh(nUsers, nItems, dim, config.seed);
  const { w } = state;
  const byUser = observations(set, alpha, 'user');
  const byItem = observations(set, alpha, 'item');
  const solver = new CgSolver(dim, config.cgSteps ?? 3);
  const yielder = new EventLoopYielder();

  const halfEpoch = async (solve: Float32Array, fixed: Float32Array, obs: Observations) => {
    const g = addDiagonal(gram(fixed, dim), lambda);
    const rows = obs.ptr.length - 1;
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      hooks.signal?.throwIfAborted();
      solver.solveRows(solve, fixed, g, obs, from, Math.min(rows, from + CHUNK_ROWS));
      await yielder.maybeYield();
    }
  };

  let stoppedEarly = false;
  for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
    const t0 = Date.now();
    await halfEpoch(w.users, w.items, byUser);
    await halfEpoch(w.items, w.users, byItem);
    const log: EpochLog = {
      epoch,
      loss: objective(w.users, w.items, dim, byUser, lambda),
      samples: set.n,
      seconds: (Date.now() - t0) / 1000,
    };
    const stop = await finishEpoch(state, log, config, hooks, {
      validate: () => validNdcg10(w, validation, hooks.signal),
      snapshot: () => ({ ...w, users: w.users.slice(), items: w.items.slice() }),
      serialize: () => serialize(state),
    });
    if (stop) {
      stoppedEarly = epoch < config.epochs;
      break;
    }
  }
  return {
    model: new BprMfModel(state.best ?? w, 'ials'),
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValidNdcg10: state.bestScore,
    stoppedEarly,
    backend: 'js',
    kernel: 'cg',
  };
}

interface TrainState extends EarlyStopState<BprMfWeights> {
  w: BprMfWeights;
}

/** Small random factors (a zero start would leave CG nothing to separate items by). */
function fresh(nUsers: number, nItems: number, dim: number, seed: number): TrainState {
  const rng = new Rng(seed);
  const init = (n: number) => {
    const a = new Float32Array(n);
    for (let k = 0; k < n; k++) a[k] = 0.01 * rng.normal();
    return a;
  };
  const w: BprMfWeights = {
    nUsers,
    nItems,
    dim,
    users: init(nUsers * dim),
    items: init(nItems * dim),
    itemBias: new Float32Array(nItems),
  };
  return { epoch: 0, w, bestScore: -1, bestEpoch: 0, bad: 0, history: [] };
}

async function validNdcg10(
  w: BprMfWeights,
  v: ValidationData,
  signal?: AbortSignal,
): Promise<number> {
  const result = await evaluateFullRankingAsync(
    { nUsers: w.nUsers, nItems: w.nItems, train: v.train, test: v.valid },
    new BprMfModel(w, 'ials'),
    { ks: [10], excludeValid: false, signal },
  );
  return result.summary.overall['ndcg@10'] ?? 0;
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

function restore(bytes: Uint8Array, set: TrainingSet, config: TrainConfig): TrainState {
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
  const w: BprMfWeights = {
    nUsers: set.nUsers,
    nItems: set.nItems,
    dim: config.factors,
    users: a.users!,
    items: a.items!,
    itemBias,
  };
  return {
    ...progressFromHeader(h),
    w,
    best: a['best.users'] ? { ...w, users: a['best.users'], items: a['best.items']! } : undefined,
  };
}
