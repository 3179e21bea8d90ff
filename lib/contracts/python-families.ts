/**
 * The model families the Python training worker trains (python/recsys_worker). With
 * `model.family: auto` it trains the family the policy picked when it is one of these. Its
 * own module: the config schema checks against it, and the config is what lib/contracts
 * describes.
 */
export const PYTHON_FAMILIES = ['bpr', 'neumf', 'ials', 'ease'] as const;
