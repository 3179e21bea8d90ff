import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { trackingFailure } from '../../../activities/track.ts';
import { MlflowError, TrackingInputError } from '../../../lib/tracking/index.ts';

/**
 * MLflow calls in activities make one attempt each; Temporal retries them. What Temporal
 * retries, and when, is decided here from the client's classification of the failure.
 */
const mlflowError = (status: number, retryable: boolean, retryAfterMs?: number) =>
  new MlflowError({
    method: 'POST',
    path: '/api/2.0/mlflow/runs/create',
    status,
    detail: 'x',
    retryable,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });

describe('MLflow failures as Temporal sees them', () => {
  it('a 4xx answer is final', () => {
    const f = trackingFailure(mlflowError(400, false));
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({ type: 'MlflowError', nonRetryable: true });
  });

  it('bad tracking input is final', () => {
    const f = trackingFailure(new TrackingInputError('metrics[3].key', 'invalid key "a@b"'));
    expect(f).toMatchObject({ type: 'TrackingInputError', nonRetryable: true });
  });

  it('a transient failure stays retryable with the policy backoff', () => {
    const err = mlflowError(503, true);
    expect(trackingFailure(err)).toBe(err);
  });

  it("a throttling server's Retry-After sets the next attempt's delay, capped at 30 s", () => {
    expect(trackingFailure(mlflowError(429, true, 4000))).toMatchObject({
      type: 'MlflowError',
      nonRetryable: false,
      nextRetryDelay: 4000,
    });
    expect(trackingFailure(mlflowError(503, true, 3_600_000))).toMatchObject({
      nextRetryDelay: 30_000,
    });
  });
});
