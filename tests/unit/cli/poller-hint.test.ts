import { describe, expect, it } from 'vitest';
import { GPU_ACTIVITIES, queueOfActivity } from '../../../lib/contracts/index.ts';
import { busyQueues } from '../../../lib/runtime/poller-hint.ts';

describe('which queues a run keeps busy', () => {
  it('maps started activities to the queue they were scheduled on', () => {
    expect([...busyQueues(['trainGan'])]).toEqual(['gpu']);
    expect([...busyQueues(['teacher', 'evaluate'])]).toEqual(['cpu']);
    expect(busyQueues(['teacher', 'retrainB'])).toEqual(new Set(['cpu', 'gpu']));
    expect(busyQueues([]).size).toBe(0);
    for (const name of GPU_ACTIVITIES) expect(queueOfActivity(name)).toBe('gpu');
  });
});
