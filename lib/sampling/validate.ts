/**
 * Input and config checks of `resample`. Bad data throws `DataValidationError` (input
 * named like `synthetic[1] (llm)`, 1-based row as in Parquet), bad config `ConfigError`;
 * both are non-retryable in the activity layer. Id ranges of the real split are checked
 * during its sort (one pass fewer over 10M rows).
 */
import { ConfigError } from '../config/errors.ts';
import type { ConfigIssue } from '../config/errors.ts';
import { DataValidationError } from '../data/errors.ts';
import { validateCsr } from '../eval/csr.ts';
import { SYNTHETIC_SOURCE_NAMES } from './types.ts';
import type { ResampleConfig, ResampleInput, SyntheticSource } from './types.ts';

const STRATEGIES = ['uniform', 'popularity', 'hard'];
export const MAX_PER_POSITIVE = 1000;

/** Throws a ConfigError listing every bad field of `cfg`. */
export function validateConfig(cfg: ResampleConfig): void {
  const issues: ConfigIssue[] = [];
  const check = (field: string, value: unknown, ok: boolean, expected: string) => {
    if (!ok) issues.push({ field: `resample.${field}`, value, expected });
  };
  const num = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
  const int = (v: unknown): v is number => Number.isInteger(v);
  check('minScore', cfg.minScore, num(cfg.minScore), 'a number');
  check('dropRate', cfg.dropRate, num(cfg.dropRate) && cfg.dropRate >= 0 && cfg.dropRate <= 1, 'a number in [0, 1]');
  check('maxSyntheticPerUser', cfg.maxSyntheticPerUser, int(cfg.maxSyntheticPerUser) && cfg.maxSyntheticPerUser >= 0, 'an integer >= 0');
  const users = cfg.syntheticUsersFraction ?? 1;
  check('syntheticUsersFraction', users, num(users) && users > 0 && users <= 1, 'a number in (0, 1]');
  check('syntheticShare', cfg.syntheticShare, num(cfg.syntheticShare) && cfg.syntheticShare >= 0 && cfg.syntheticShare <= 0.9, 'a number in [0, 0.9]');
  check('tailBoost', cfg.tailBoost, num(cfg.tailBoost) && cfg.tailBoost > 0 && Number.isFinite(cfg.tailBoost), 'a finite number > 0');
  check('protectColdUsers', cfg.protectColdUsers, int(cfg.protectColdUsers) && cfg.protectColdUsers >= 0, 'an integer >= 0');
  check('syntheticWeight', cfg.syntheticWeight, num(cfg.syntheticWeight) && cfg.syntheticWeight > 0 && Number.isFinite(cfg.syntheticWeight), 'a finite number > 0');
  const neg = cfg.negatives as ResampleConfig['negatives'] | undefined;
  check('negatives.strategy', neg?.strategy, STRATEGIES.includes(neg?.strategy as string), STRATEGIES.join(' | '));
  check('negatives.perPositive', neg?.perPositive, int(neg?.perPositive) && neg!.perPositive >= 0 && neg!.perPositive <= MAX_PER_POSITIVE, `an integer in [0, ${MAX_PER_POSITIVE}]`);
  if (issues.length > 0) throw new ConfigError('resample config', issues);
} // prettier-ignore

/** Checks sizes, lengths, ids, scores, labels and plausibilities of every input. */
export function validateInput(input: ResampleInput, cfg: ResampleConfig): void {
  const { nUsers, nItems } = input;
  for (const [name, v] of [
    ['nUsers', nUsers],
    ['nItems', nItems],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff)
      throw new DataValidationError({
        file: 'resample input',
        column: name,
        value: String(v),
        expected: 'an integer in [1, 2^31)',
      });
  }
  const t = input.train;
  checkLength('train', 'user', t.user, t.n);
  checkLength('train', 'item', t.item, t.n);
  input.synthetic.forEach((s, e) => validateSource(s, e, nUsers, nItems, cfg));
  if (input.synthetic.length > 0xffff)
    throw new DataValidationError({
      file: 'resample input',
      column: 'synthetic',
      problem: `${input.synthetic.length} synthetic sources`,
      expected: 'at most 65535 sources',
    });
  if (cfg.negatives.strategy === 'hard' && cfg.negatives.perPositive > 0) {
    if (!input.hardCandidates)
      throw new DataValidationError({
        file: 'hardCandidates',
        problem: 'missing',
        expected: 'a per-user CSR of candidate items when negatives.strategy is hard',
      });
    try {
      validateCsr(input.hardCandidates, nUsers, nItems, 'hardCandidates');
    } catch (err) {
      throw new DataValidationError({
        file: 'hardCandidates',
        problem: (err as Error).message,
        expected: `a CSR with ${nUsers} rows and item ids in [0, ${nItems})`,
      });
    }
  }
}

/** Names a source in messages: `synthetic[1] (llm)`. */
export function sourceLabel(s: SyntheticSource, e: number): string {
  return `synthetic[${e}] (${String(s.source)})`;
}

function validateSource(
  s: SyntheticSource,
  e: number,
  nUsers: number,
  nItems: number,
  cfg: ResampleConfig,
): void {
  const file = sourceLabel(s, e);
  if (!SYNTHETIC_SOURCE_NAMES.includes(s.source))
    throw new DataValidationError({
      file,
      column: 'source',
      value: String(s.source),
      expected: SYNTHETIC_SOURCE_NAMES.join(' or '),
    });
  checkLength(file, 'user', s.user, s.n);
  checkLength(file, 'item', s.item, s.n);
  checkLength(file, 'score', s.score, s.n);
  if (s.label) checkLength(file, 'label', s.label, s.n);
  if (s.plausibility) checkLength(file, 'plausibility', s.plausibility, s.n);
  else if (cfg.dropRate > 0)
    throw new DataValidationError({
      file,
      column: 'plausibility',
      problem: `missing while resample.dropRate is ${cfg.dropRate}`,
      expected: 'a plausibility per row when dropRate > 0',
    });
  const { user, item, score, label, plausibility } = s;
  for (let k = 0; k < s.n; k++) {
    const u = user[k]!;
    const i = item[k]!;
    if (u < 0 || u >= nUsers) bad(file, k, 'user', u, `a user index in [0, ${nUsers})`);
    if (i < 0 || i >= nItems) bad(file, k, 'item', i, `an item index in [0, ${nItems})`);
    if (Number.isNaN(score[k]!)) bad(file, k, 'score', NaN, 'a score that is not NaN');
    if (label && label[k]! > 1) bad(file, k, 'label', label[k]!, '0 (disliked) or 1 (liked)');
    if (plausibility && Number.isNaN(plausibility[k]!))
      bad(file, k, 'plausibility', NaN, 'a plausibility that is not NaN');
  }
}

function checkLength(file: string, column: string, a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0)
    throw new DataValidationError({
      file,
      column: 'n',
      value: String(n),
      expected: 'an integer >= 0',
    });
  if (!a || a.length !== n)
    throw new DataValidationError({
      file,
      column,
      problem: a ? `column has ${a.length} rows but n = ${n}` : 'column is missing',
      expected: `exactly n = ${n} values`,
    });
}

/** Throws for row `k` (0-based; shown 1-based as Parquet rows are). */
export function bad(
  file: string,
  k: number,
  column: string,
  value: number,
  expected: string,
): never {
  throw new DataValidationError({
    file,
    line: k + 1,
    lineKind: 'row',
    column,
    value: String(value),
    expected,
  });
}
