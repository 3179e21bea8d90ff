import type { CfganConfig } from '../../lib/gan/index.ts';

/**
 * A CFGAN small and short enough for unit tests on a few hundred synthetic users: the
 * paper's losses and masks (no hidden inputs, no own-entry term), 6 epochs, no validation.
 */
export const SMALL_CFGAN: CfganConfig = {
  variant: 'user',
  generatorUnits: 64,
  discriminatorUnits: 32,
  noiseDim: 0,
  epochs: 6,
  dSteps: 1,
  gSteps: 1,
  batchSize: 64,
  discriminatorBatchSize: 64,
  learningRate: 0.003,
  regG: 0,
  validateEvery: 0,
  patience: 1,
  zrRatio: 0.7,
  pmRatio: 0.7,
  zrCoefficient: 0.03,
  reconstructionCoefficient: 0,
  inputDropout: 0,
  seed: 3,
};
