import { describe, expect, it } from 'vitest';
import { activityProcesses } from '../../../cli/gpu-processes.ts';
import { parseWorkerFlags } from '../../../cli/worker-command.ts';

describe('worker roles', () => {
  it('a --worker session runs every activity in child processes, the cpu queue in the first', () => {
    expect(activityProcesses(1)).toEqual([{ queues: ['cpu', 'gpu'], role: 'activities' }]);
    expect(activityProcesses(3)).toEqual([
      { queues: ['cpu', 'gpu'], role: 'activities' },
      { queues: ['gpu'], role: 'activities' },
      { queues: ['gpu'], role: 'activities' },
    ]);
  });

  it('`augment worker` splits workflows from activities unless told otherwise', () => {
    expect(parseWorkerFlags({ queues: 'cpu,gpu' })).toEqual({
      queues: ['cpu', 'gpu'],
      role: 'split',
    });
    expect(parseWorkerFlags({ queues: 'gpu', role: 'both' })).toEqual({
      queues: ['gpu'],
      role: 'both',
    });
  });

  it('names the flag and the value it rejects', () => {
    expect(() => parseWorkerFlags({ queues: 'cpu,tpu' })).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: '--queues: "tpu" is not a queue (expected cpu or gpu)',
      }),
    );
    expect(() => parseWorkerFlags({ queues: 'cpu', role: 'all' })).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        message: '--role: "all" is not a role (expected split, workflows, activities, both)',
      }),
    );
  });
});
