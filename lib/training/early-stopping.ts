/**
 * Early stopping with checkpoints, the same for every recommender: validate every few
 * epochs, keep the best weights, stop when patience runs out, and carry that progress
 * through a checkpoint so a resumed run stops where the uninterrupted one would.
 */
import type { EpochLog, LoopHooks } from './types.ts';

/** The schedule of validations and the patience, in epochs and evaluations. */
export interface EarlyStopConfig {
  /** Validate every this many epochs (and after the last one). */
  evalEvery: number;
  epochs: number;
  /** Stop after this many evaluations without a better score. */
  patience: number;
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
  config: EarlyStopConfig,
  hooks: LoopHooks,
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
