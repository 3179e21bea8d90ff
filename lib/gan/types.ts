/**
 * Contract of the CFGAN (Chae et al., CIKM 2018) augmenter: hyper-parameters, what an epoch
 * reports, the weights, and what generation returns. Pure types.
 */

/**
 * Which vectors the GAN learns: `user` - each user's vector over the catalog (the condition
 * and the generated vector are rows of the user x item matrix); `item` - each item's vector
 * over the users (its columns). A user's score for an item is G(e_u)[i] or G(e_i)[u].
 */
export type GanVariant = 'user' | 'item';

/** Training hyper-parameters; every field has a default in the config schema. */
export interface CfganConfig {
  variant: GanVariant;
  /** Hidden units of the generator's one hidden layer (paper: 400). */
  generatorUnits: number;
  /** Hidden units of the discriminator's one hidden layer (paper: 125). */
  discriminatorUnits: number;
  /**
   * Size of the generator's Gaussian noise input; 0 = the paper's noise-free generator
   * (which, per the ECIR 2022 replication, tends to copy its input).
   */
  noiseDim: number;
  /**
   * Maximum epochs. An epoch is dSteps passes of discriminator updates over all vectors, then
   * gSteps passes of generator updates (the reference code's step_D / step_G).
   */
  epochs: number;
  /** Discriminator passes per epoch (reference: 2). */
  dSteps: number;
  /** Generator passes per epoch (reference: 4). */
  gSteps: number;
  /** Vectors per generator mini-batch (reference: 32). */
  batchSize: number;
  /** Vectors per discriminator mini-batch (reference: 64). */
  discriminatorBatchSize: number;
  learningRate: number;
  /** L2 penalty on the generator's weights and biases, reg x sum(w^2) / 2 (reference: 0.001). */
  regG: number;
  /**
   * Score the generator's validation NDCG@10 every this many epochs and keep the best
   * generator; 0 = no validation (the last epoch's generator). Needs the valid split.
   */
  validateEvery: number;
  /** Stop after this many validations in a row without a better NDCG@10. */
  patience: number;
  /** Share of each user's non-interacted items whose output is pushed to 0 (ZR). */
  zrRatio: number;
  /** Share of each user's non-interacted items the discriminator also sees (PM). */
  pmRatio: number;
  /** Weight of the zero-reconstruction term in the generator loss (paper: 0.03). */
  zrCoefficient: number;
  /**
   * Weight of the squared error (1 - G(e)_j)^2 on the vector's own entries j in the generator
   * loss (not in the paper, where only the discriminator pulls them up; 0 = the paper's loss).
   */
  reconstructionCoefficient: number;
  /**
   * Share of each vector's entries hidden from the generator's input in training, drawn anew
   * per mini-batch; the discriminator and the losses still see the whole vector, so G learns
   * to restore entries it was not shown (as a denoising autoencoder). 0 = the paper's input.
   */
  inputDropout: number;
  seed: number;
  /**
   * Threads that train (train-threads.ts); 0 or absent = one per core for data of at least
   * 1M catalog entries x vectors, one below; 1 = the one-thread loop.
   */
  threads?: number;
}

/** One epoch of GAN training, as heartbeated, tracked and charted. */
export interface GanEpochLog {
  epoch: number;
  /** Discriminator loss: -log D(real) - log(1 - D(fake)), batch means. */
  dLoss: number;
  /** Generator loss: -log D(fake) + ZR term, batch means (the L2 penalty not included). */
  gLoss: number;
  /** Mean D(real) and D(fake): how well the discriminator separates them. */
  dReal: number;
  dFake: number;
  /** Real vectors (users, or items with variant item) per pass. */
  samples: number;
  seconds: number;
  /** The generator's validation NDCG@10, on the epochs it was scored. */
  validNdcg10?: number;
}

/**
 * The generator: all that generation and scoring need. Row-major typed arrays. Its vectors
 * are `nItems` long with variant user and `nUsers` long with variant item (inputWidth).
 */
export interface GeneratorWeights {
  variant: GanVariant;
  nUsers: number;
  nItems: number;
  hidden: number;
  noiseDim: number;
  /** First layer over the condition vector, width x hidden (a row per entry: sparse input). */
  w1: Float32Array;
  /** Noise input weights, noiseDim x hidden. */
  wz: Float32Array;
  b1: Float32Array;
  /** Output layer, hidden x width. */
  w2: Float32Array;
  b2: Float32Array;
}

/** The discriminator over [condition | vector]. */
export interface DiscriminatorWeights {
  /** Length of the vectors (see inputWidth). */
  width: number;
  hidden: number;
  /** Condition part of the first layer, width x hidden. */
  wc: Float32Array;
  /** Real-or-fake vector part of the first layer, width x hidden. */
  wx: Float32Array;
  b1: Float32Array;
  /** Output layer, hidden x 1. */
  w2: Float32Array;
  b2: Float32Array;
}

/** Synthetic positives: (user, item, generator score), columnar. */
export interface GeneratedRows {
  n: number;
  user: Int32Array;
  item: Int32Array;
  score: Float32Array;
}

/** How generated positives compare with the real train split. */
export interface GenerationQuality {
  /** Jensen-Shannon distance (base 2, in [0, 1]) of real vs generated item popularity. */
  popularityJsDistance: number;
  /** Share of the catalog that appears among generated items. */
  coverage: number;
  /** Mean self-information of generated items, -log2 of their real popularity share. */
  novelty: number;
  /** The same mean over real train rows, for comparison. */
  realNovelty: number;
}
