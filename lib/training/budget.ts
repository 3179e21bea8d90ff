/**
 * A seconds budget for a training loop, honoured between epochs (LoopHooks.shouldStop): an
 * epoch that has started always finishes, and one is not started when, judged by the last
 * epoch's duration (its validation included), it would end past the budget. At least one
 * epoch is trained per attempt, so the model is never the untrained one. Seconds already
 * spent by an earlier attempt of the same stage (carried in its heartbeats) count too, so a
 * retry does not get a fresh budget.
 */
export interface TrainingBudget {
  /** For LoopHooks.shouldStop: true once the next epoch would not fit in the budget. */
  shouldStop(): boolean;
  /** For LoopHooks.onEpoch: an epoch (and its validation) has finished. */
  epochDone(): void;
  /** Seconds spent so far, earlier attempts included. */
  spentSeconds(): number;
  /** True when shouldStop ended training (the budget, not patience or the epoch limit). */
  readonly stopped: boolean;
}

export function trainingBudget(
  budgetSeconds: number,
  options: { alreadySpent?: number; now?: () => number } = {},
): TrainingBudget {
  if (!(budgetSeconds > 0)) throw new RangeError(`budgetSeconds must be > 0, got ${budgetSeconds}`);
  const now = options.now ?? (() => performance.now() / 1000);
  const start = now() - (options.alreadySpent ?? 0);
  let lastEnd = now();
  let lastEpoch: number | undefined;
  let stopped = false;
  return {
    shouldStop() {
      if (lastEpoch !== undefined && now() - start + lastEpoch > budgetSeconds) stopped = true;
      return stopped;
    },
    epochDone() {
      const t = now();
      lastEpoch = t - lastEnd;
      lastEnd = t;
    },
    spentSeconds: () => now() - start,
    get stopped() {
      return stopped;
    },
  };
}

/** Seconds an earlier attempt reported as spent in its last heartbeat (`trainingSeconds`). */
export function spentByEarlierAttempt(previousHeartbeat?: Record<string, unknown>): number {
  const s = previousHeartbeat?.trainingSeconds;
  return typeof s === 'number' && Number.isFinite(s) && s > 0 ? s : 0;
}
