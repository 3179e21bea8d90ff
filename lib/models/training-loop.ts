/**
 * What every training loop (BPR-MF, NeuMF, CFGAN) shares: per-epoch randomness that a resumed
 * run reproduces, yielding to the event loop so heartbeats and cancellation get through, and
 * (the recommenders) early stopping with checkpoints.
 */
import { Rng } from '../data/random.ts';
import { evaluateFullRankingAsync } from '../eval/full-ranking.ts';
import type { AsyncScorer } from '../eval/types.ts';
import type { EpochLog, TrainConfig, TrainHooks, ValidationData } from './types.ts';
import { eventLoopTurn } from '../async/turn.ts';

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

/** Early stopping's score: NDCG@10 on the validation split, the train items excluded. */
export async function validationNdcg10(
  model: AsyncScorer & { nUsers: number; nItems: number },
  v: ValidationData,
  signal?: AbortSignal,
): Promise<number> {
  const { nUsers, nItems } = model;
  const result = await evaluateFullRankingAsync(
    { nUsers, nItems, train: v.train, test: v.valid },
    model,
    { ks: [10], excludeValid: false, signal },
  );
  return result.summary.overall['ndcg@10'] ?? 0;
}

/** What early stopping keeps between epochs (and what a checkpoint restores). */
export interface EarlyStopState<W> {
  epoch: number;
  best?: W;
  bestScore: number;
  bestEpoch: number;
  /** Evaluations since the last improvement. */
  bad: number;
  history: EpochLog[];
}

/**
 * The end of an epoch, the same for every model: validate when due (keeping a copy of the
 * best weights), record the log, report it, checkpoint when due. Returns true when
 * training should stop (patience used up).
 */
export async function finishEpoch<W>(
  state: EarlyStopState<W>,
  log: EpochLog,
  config: Pick<TrainConfig, 'evalEvery' | 'epochs' | 'patience'>,
  hooks: TrainHooks,
  model: { validate(): Promise<number>; snapshot(): W; serialize(): Uint8Array },
): Promise<boolean> {
  const epoch = log.epoch;
  if (epoch % config.evalEvery === 0 || epoch === config.epochs) {
    const score = await model.validate();
    log.validNdcg10 = score;
    if (score > state.bestScore) {
      state.bestScore = score;
      state.bestEpoch = epoch;
      state.best = model.snapshot();
      state.bad = 0;
    } else state.bad++;
  }
  state.history.push(log);
  state.epoch = epoch;
  await hooks.onEpoch?.(log);
  const stop = state.bad >= config.patience;
  if (hooks.onCheckpoint && hooks.checkpointEvery && epoch % hooks.checkpointEvery === 0 && !stop)
    await hooks.onCheckpoint(model.serialize(), epoch);
  return stop;
}

/** The early-stopping part of a checkpoint header (the weights travel as arrays). */
export function progressHeader<W>(s: EarlyStopState<W>) {
  return {
    epoch: s.epoch,
    bestScore: s.bestScore,
    bestEpoch: s.bestEpoch,
    bad: s.bad,
    history: s.history,
  };
}

/** Reads back what {@link progressHeader} wrote. */
export function progressFromHeader(
  h: Record<string, unknown>,
): Omit<EarlyStopState<never>, 'best'> {
  return {
    epoch: h.epoch as number,
    bestScore: h.bestScore as number,
    bestEpoch: h.bestEpoch as number,
    bad: h.bad as number,
    history: h.history as EpochLog[],
  };
}
