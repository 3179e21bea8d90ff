/**
 * The GAN's source gate: synthetic positives from a generator that recommends worse than a
 * simple base model hurt the model trained on them, so generateGan emits rows only when the
 * generator beats the reference on the validation items of the very users it would augment.
 * Validation only: the test split plays no part.
 */
/**
 * Validation users ranked at most, for the gate and the generator's own validation figure:
 * a seeded sample when more have validation items (as model.validationUsers' default).
 */
export const GATE_MAX_USERS = 10_000;

export interface GateVerdict {
  /** `open`: rows are emitted; `closed`: none; `off`: the gate is disabled. */
  state: 'open' | 'closed' | 'off';
  /** The reason in plain words, for the stats and the report. */
  reason: string;
  generatorNdcg10: number;
  baselineNdcg10: number;
  baseline: string;
  /** Users whose validation items were ranked. */
  users: number;
}

export function gateVerdict(
  enabled: boolean,
  generatorNdcg10: number,
  baselineNdcg10: number,
  baseline: string,
  users: number,
): GateVerdict {
  const figures = `generator ${generatorNdcg10.toFixed(4)} vs ${baseline} ${baselineNdcg10.toFixed(4)} validation NDCG@10 on the ${users} users it would augment`;
  const base = { generatorNdcg10, baselineNdcg10, baseline, users };
  if (!enabled) return { ...base, state: 'off', reason: `gate off (${figures})` };
  if (users === 0)
    return { ...base, state: 'closed', reason: 'no user to augment has a validation item' };
  return generatorNdcg10 > baselineNdcg10
    ? { ...base, state: 'open', reason: `the generator is better: ${figures}` }
    : {
        ...base,
        state: 'closed',
        reason: `no rows: the generator is not better than ${baseline} (${figures})`,
      };
}
