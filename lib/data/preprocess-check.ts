/**
 * Whether preprocessing left something the pipeline can run on. A threshold above every
 * rating, or a k-core the data has none of, leaves no rows; every later stage would then
 * fail on an empty split with a message about the split, not the setting. This names the
 * setting, what the data holds, and what to change, as a non-retryable ConfigError.
 */
import { ConfigError } from '../config/errors.ts';
import { LEAVE_LAST_OUT_MIN_ROWS } from './split.ts';
import type { PreprocessConfig, PreprocessResult } from './preprocess.ts';

const SOURCE = 'the preprocess settings for this data';

/** Throws a ConfigError naming the setting when train, valid or test came out empty. */
export function checkPreprocessed(
  result: Pick<PreprocessResult, 'train' | 'valid' | 'test' | 'counts'>,
  cfg: PreprocessConfig,
): void {
  const c = result.counts;
  const valid = c.input - c.invalid;
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new ConfigError(SOURCE, [{ field, value, expected }]);
  };
  if (c.input > 0 && valid === 0)
    fail(
      'data.source',
      `${count(c.input)} rows`,
      `rows preprocessing can use: every row has an infinite rating or, in a log with timestamps, a missing or negative one`,
    );
  if (valid > 0 && c.positives === 0)
    fail(
      'preprocess.positiveThreshold',
      cfg.positiveThreshold,
      `a rating some rows reach: the ${count(valid)} rows' ratings run from ${c.ratingMin} to ${c.ratingMax}, so none is a positive (a row is one at or above the threshold); set it to the rating that marks a liked item (1 for 0/1 clicks), or map no rating column so every row counts`,
    );
  if (c.afterDedupe > 0 && c.afterKCore === 0)
    fail(
      'preprocess.kCore',
      cfg.kCore,
      `a k the data has a core of: the ${count(c.afterDedupe)} positive (user, item) pairs leave no user and item with ${cfg.kCore} rows each once the others are removed; lower it (0 turns the filter off)`,
    );
  if (c.afterKCore === 0) return; // an empty log: ingest refuses it
  const empty = (['train', 'valid', 'test'] as const).filter((s) => result[s].n === 0);
  if (empty.length === 0) return;
  const which = `no ${empty.join(' or ')} rows`;
  if (cfg.split === 'leave-last-out')
    fail(
      'preprocess.split',
      cfg.split,
      `a split that leaves rows in train, valid and test: ${which}, as leave-last-out holds out rows only of users with at least ${LEAVE_LAST_OUT_MIN_ROWS} rows; raise preprocess.kCore to ${LEAVE_LAST_OUT_MIN_ROWS} or more, or use split: random`,
    );
  fail(
    'preprocess.ratios',
    cfg.ratios,
    `ratios that leave rows in train, valid and test: the random split of ${count(c.afterKCore)} rows gave ${which}; raise the empty splits' ratios`,
  );
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
