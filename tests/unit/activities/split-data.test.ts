import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { catalogSize } from '../../../activities/split-data.ts';
import type { StageContext } from '../../../activities/stage-runner.ts';
import { toFailure } from '../../../activities/stage-runner.ts';

/** A stage context whose preprocess manifest carries `stats`. */
function withStats(stats: Record<string, unknown>) {
  return { inputManifest: () => ({ stats }) } as unknown as StageContext<unknown>;
}

describe('catalogSize', () => {
  it("reads the users and items from preprocess's manifest", () => {
    expect(catalogSize(withStats({ users: 12, items: 7 }))).toEqual({ nUsers: 12, nItems: 7 });
  });

  it('fails for good, saying what to do, on a manifest without them', () => {
    let err: unknown;
    try {
      catalogSize(withStats({ users: 0 }));
    } catch (e) {
      err = e;
    }
    expect(String(err)).toContain('users 0, items undefined');
    expect(String(err)).toContain('--recompute preprocess');
    const failure = toFailure(err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });
});
