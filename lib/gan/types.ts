/**
 * Contract of the CFGAN (Chae et al., CIKM 2018) augmenter: hyper-parameters, what an epoch
 * reports, the weights, and what generation returns. Pure types.
 */

/** Training hyper-parameters; every field has a default in the config schema. */
export interface CfganConfig {
  /** Hidden units of the generator's one hidden layer (paper: 400). */
  generatorUnits: number;
  /** Hidden units of the discriminator's one hidden layer (paper: 125). */
  discriminatorUnits: number;
  /**
   * Size of the generator's Gaussian noise input; 0 = the paper's noise-free generator
   * (which, per the ECIR 2022 replication, tends to copy its input).
   */
  noiseDim: number;
  epochs: number;
  /** Users per mini-batch. */
  batchSize: number;
  learningRate: number;
  /** Share of each user's non-interacted items whose output is pushed to 0 (ZR). */
  zrRatio: number;
  /** Share of each user's non-interacted items the discriminator also sees (PM). */
  pmRatio: number;
  /** Weight of the zero-reconstruction term in the generator loss (paper: 0.03). */
  zrCoefficient: number;
  seed: number;
}

/** One epoch of GAN training, as heartbeated, tracked and charted. */
export interface GanEpochLog {
  epoch: number;
  /** Discriminator loss: -log D(real) - log(1 - D(fake)), batch means. */
  dLoss: number;
  /** Generator loss: log(1 - D(fake)) + ZR term, batch means. */
  gLoss: number;
  /** Mean D(real) and D(fake): how well the discriminator separates them. */
  dReal: number;
  dFake: number;
  /** Users (real vectors) processed. */
  samples: number;
  seconds: number;
}

/** The generator: all that generation and scoring need. Row-major typed arrays. */
export interface GeneratorWeights {
  nItems: number;
  hidden: number;
  noiseDim: number;
  /** First layer over the condition vector, nItems x hidden (a row per item: sparse input). */
  w1: Float32Array;
  /** Noise input weights, noiseDim x hidden. */
  wz: Float32Array;
  b1: Float32Array;
  /** Output layer, hidden x nItems. */
  w2: Float32Array;
  b2: Float32Array;
}

/** The discriminator over [condition | vector]. */
export interface DiscriminatorWeights {
  nItems: number;
  hidden: number;
  /** Condition part of the first layer, nItems x hidden. */
  wc: Float32Array;
  /** Real-or-fake vector part of the first layer, nItems x hidden. */
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
