import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeDetails, plainProgress } from '../../../cli/progress.ts';
import type { PipelineProgress } from '../../../lib/contracts/index.ts';

describe('run progress', () => {
  afterEach(() => vi.restoreAllMocks());

  it('turns heartbeat details into a fraction and words', () => {
    expect(describeDetails({ phase: 'training', epoch: 5, epochs: 20, loss: 0.25 })).toEqual({
      fraction: 0.25,
      text: 'training, epoch 5/20, loss 0.2500',
    });
    expect(describeDetails({ phase: 'ranking A', done: 300, total: 1200 }).fraction).toBe(0.25);
    expect(describeDetails(undefined)).toEqual({ text: '' });
    expect(describeDetails({ phase: 'writing' }).fraction).toBeUndefined();
  });

  it('prints status changes and throttles detail lines of a running stage', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const print = plainProgress(60_000);
    const base: PipelineProgress = {
      runId: 'r',
      state: 'running',
      tracking: {},
      stages: [
        { name: 'ingest', status: 'done', seconds: 1.5 },
        { name: 'retrainA', status: 'running', startedAt: Date.now() },
        { name: 'register', status: 'pending' },
      ],
    };
    const live = (epoch: number) => [
      { activity: 'retrainA', attempt: 2, details: { phase: 'training', epoch, epochs: 10 } },
    ];
    print({ ...base, live: live(1) } as never);
    print({ ...base, live: live(2) } as never); // throttled: same stage, within 60 s
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('ingest       done in 1.5 s');
    expect(lines[1]).toContain('retrainA     running [##');
    expect(lines[1]).toContain('epoch 1/10');
    expect(lines[1]).toContain('(attempt 2)');
    print({
      ...base,
      stages: [base.stages[0]!, { name: 'retrainA', status: 'done', seconds: 9 }],
    } as never);
    expect(lines[2]).toContain('retrainA     done in 9.0 s');
  });

  it('tells waiting for a worker from running, in both live and finished lines', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const print = plainProgress(0);
    const ref = (seconds: number) => ({ seconds }) as never;
    print({
      runId: 'r',
      state: 'running',
      tracking: {},
      stages: [
        { name: 'trainGan', status: 'running', startedAt: Date.now() },
        { name: 'expandLlm', status: 'running', startedAt: Date.now() },
      ],
      live: [
        { activity: 'trainGan', attempt: 1, waiting: false, details: { epoch: 2, epochs: 8 } },
        { activity: 'expandLlm', attempt: 1, waiting: true },
      ],
    } as never);
    expect(lines[0]).toContain('trainGan     running [#');
    expect(lines[1]).toContain('expandLlm    waiting for a free worker on its task queue');
    print({
      runId: 'r',
      state: 'running',
      tracking: {},
      stages: [
        { name: 'trainGan', status: 'done', seconds: 30.2, ref: ref(29.9) },
        { name: 'expandLlm', status: 'done', seconds: 41, ref: ref(9.4) },
      ],
    } as never);
    expect(lines[2]).toMatch(/trainGan {5}done in 30\.2 s\n/);
    expect(lines[3]).toContain(
      'expandLlm    done in 41.0 s (9.4 s running; 31.6 s waiting for a worker or retrying)',
    );
  });
});
