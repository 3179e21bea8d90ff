/** What a training loop reports and the hooks that connect it to its caller. */
/** One epoch of training, as heartbeated, tracked and charted. */
export interface EpochLog {
  epoch: number;
  /** Mean weighted training loss of the epoch. */
  loss: number;
  /** Validation NDCG@10 when evaluated this epoch. */
  validNdcg10?: number;
  samples: number;
  seconds: number;
}

/**
 * Hooks that connect training to a Temporal activity (heartbeats, checkpoints, cancel).
 * `L` is what one epoch reports (the GAN reports its two losses instead of one).
 */
export interface LoopHooks<L = EpochLog> {
  onEpoch?(log: L): void | Promise<void>;
  /** Called every `checkpointEvery` epochs with the full training state, serialised. */
  onCheckpoint?(state: Uint8Array, epoch: number): void | Promise<void>;
  checkpointEvery?: number;
  /** A state from `onCheckpoint`: training continues after its epoch. */
  resumeFrom?: Uint8Array;
  /** Training stops with the signal's reason at the next batch boundary when aborted. */
  signal?: AbortSignal;
  /**
   * Asked before each epoch: true ends training there, as patience running out would (the
   * best model so far is kept). A seconds budget (budget.ts) plugs in here.
   */
  shouldStop?(): boolean;
}
