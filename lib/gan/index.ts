/**
 * CFGAN augmentation: train a conditional GAN on the real train split, then turn the
 * generator's top new items of selected users into synthetic positives.
 */
export type * from './types.ts';
export { trainCfgan } from './train.ts';
export type { GanTrainData, GanTrainResult } from './train.ts';
export { GeneratorScorer, loadGenerator, saveGenerator } from './generator.ts';
export { generatePositives, generationQuality, jsDistance, selectUsers } from './augment.ts';
export type { GanUsers, GenerateOptions } from './augment.ts';
export { GATE_MAX_USERS, gateVerdict } from './gate.ts';
export type { GateVerdict } from './gate.ts';
export { CONDITION_CHOICE_USERS, chooseGeneratorRecency, conditionWeights } from './recency.ts';
export type { GeneratorRecencyChoice } from './recency.ts';
