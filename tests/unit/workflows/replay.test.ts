import { readFileSync } from 'node:fs';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../../workers/start-worker.ts';
import { REPLAY_FIXTURE } from '../../helpers/replay.ts';

describe('workflow determinism', () => {
  it('a recorded whole-pipeline history replays against the current workflow code', async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    // The CLI's JSON export; the replayer converts it to protobuf itself.
    const history = JSON.parse(readFileSync(REPLAY_FIXTURE, 'utf8')) as {
      events: {
        activityTaskScheduledEventAttributes?: { activityType: { name: string } };
        markerRecordedEventAttributes?: { markerName: string };
      }[];
    };
    // The fixture is a real run: every stage scheduled, both augmentation branches.
    const types = history.events.flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [a.activityType.name] : [];
    });
    for (const stage of ['trainGan', 'generateGan', 'expandLlm', 'resample', 'evaluate'])
      expect(types).toContain(stage);
    // Recorded before `patched('report-stage')`: no patch marker, no report. Its replay is
    // what proves that runs in flight across that upgrade go on without the report stage.
    expect(types).not.toContain('report');
    expect(history.events.filter((e) => e.markerRecordedEventAttributes)).toEqual([]);
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: new DefaultLogger('WARN'),
    });
    await Worker.runReplayHistory({ workflowBundle }, history);
  }, 120_000);
});
