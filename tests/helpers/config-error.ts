import { expect } from 'vitest';
import { ConfigError } from '../../lib/config/errors.ts';

/** The ConfigError `fn` throws (fails the test if it throws anything else, or nothing). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
