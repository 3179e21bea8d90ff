/**
 * The contract between the recommender models (BPR-MF, NeuMF on TensorFlow.js), the
 * `retrain` activity and the evaluation layer. Pure types: no tfjs import here.
 */
import type { AsyncScorer, Csr } from '../eval/types.ts';
import type { EpochLog, LoopHooks } from '../training/types.ts';

export type { TrainingSet } from '../data/row-sets.ts';
export type { EpochLog } from '../training/types.ts';

/** What early stopping ranks against: the REAL train items are excluded, valid is the target. */
export interface ValidationData {
  train: Csr;
  valid: Csr;
  /**
   * For each entry of `train`: how many of the user's train rows came after it (0 for the
   * latest; baselines/recency.ts). EASE with `recency: auto` weights histories by it.
   */
  trainRecency?: Int32Array;
}

export type ModelFamily = 'bpr' | 'neumf' | 'ials' | 'ease';

/** Training hyper-parameters; every field has a default in the config schema. */
export interface TrainConfig {
  family: ModelFamily;
  /** Embedding size (BPR-MF factors; NeuMF GMF and MLP embeddings). */
  factors: number;
  /** Upper bound on epochs (early stopping usually ends sooner). */
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 regularisation of the embeddings touched by a batch (ials: lambda of each solve). */
  l2: number;
  /** Sampled negatives per positive and epoch (BPR: pairs per positive). */
  negatives: number;
  /** NeuMF MLP hidden layer sizes. */
  mlpLayers: number[];
  /** BPR-MF's batch math (bpr-kernel.ts); `auto` when absent. */
  kernel?: 'auto' | 'simd' | 'typed' | 'tfjs';
  /** BPR-MF: lazy Adam per batch (absent: adam) or plain SGD per sample. */
  optimizer?: 'adam' | 'sgd';
  /** iALS: confidence of an observed row is 1 + alpha x its weight. */
  alpha?: number;
  /** iALS: conjugate-gradient steps per row and half-epoch. */
  cgSteps?: number;
  /**
   * EASE: `auto` chooses on validation whether a user's history is weighted towards their
   * latest rows, and with which half-life (needs `ValidationData.trainRecency`); absent or
   * `none`: the plain history.
   */
  recency?: 'auto' | 'none';
  /**
   * EASE: the candidate lambdas, as multiples of the mean number of train rows per item
   * (absent: the default grid of fitEaseOnValidation). The policy search screens its
   * candidates at A's chosen multiple alone.
   */
  relativeLambdas?: number[];
  /** Stop after this many evaluations without a better validation NDCG@10. */
  patience: number;
  /** Evaluate on validation every this many epochs. */
  evalEvery: number;
  /** Validate on a seeded sample of at most this many users (0 or absent: all of them). */
  validationUsers?: number;
  /**
   * BPR-MF (sgd, simd kernel) and iALS (simd): threads that train. 0 or absent: one per
   * core when an epoch is large enough to repay starting them (thread-pool.ts), else one.
   */
  threads?: number;
  seed: number;
}

/** The training loop's hooks, plus BPR-MF's choice of where its samples are drawn. */
export interface TrainHooks extends LoopHooks<EpochLog> {
  /**
   * BPR-MF: draw each epoch's samples on a worker thread, one epoch ahead (default: when an
   * epoch has 250K samples or more). The samples are the same either way.
   */
  sampleThread?: boolean;
}

/** A file of a saved model (tfjs layout: model.json + weights.bin). */
export interface ModelFile {
  name: string;
  bytes: Uint8Array;
}

/** A trained model: scores every item for a batch of users; saved in tfjs format. */
export interface TrainedModel extends AsyncScorer {
  readonly family: ModelFamily;
  readonly nUsers: number;
  readonly nItems: number;
  save(): Promise<ModelFile[]>;
  dispose(): void;
}

export interface TrainResult {
  /** The best model by validation NDCG@10 (restored from the best epoch). */
  model: TrainedModel;
  history: EpochLog[];
  bestEpoch: number;
  bestValidNdcg10: number;
  stoppedEarly: boolean;
  /** The tfjs backend used (`wasm`, `cpu`, `tensorflow`). */
  backend: string;
  /** BPR-MF: which batch kernel ran (`simd`, `typed` or `tfjs`). */
  kernel?: string;
  /** BPR-MF and iALS: the threads that trained. */
  threads?: number;
  /**
   * Settings the trainer chose on validation (EASE: lambda, relativeLambda, and halfLife
   * when one won).
   */
  chosen?: Record<string, number>;
}
