import { ScheduleOverlapPolicy } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config/errors.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { STAGES } from '../../../lib/contracts/index.ts';
import { watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { createSchedule, describeSchedule, listSchedules } from '../../../lib/runtime/schedules.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';

const config = parsePipelineConfig({
  name: 'nightly-test',
  data: { source: 'synthetic:users=200,items=100,interactions=4000,seed=11' },
  preprocess: { kCore: 2 },
  model: { epochs: 2, factors: 8 },
  evaluate: { resamples: 1000 },
});

describe('schedules on the real Temporal dev server', () => {
  it('creates a nightly schedule; trigger starts a run that completes; pause and delete work', async () => {
    const settings = testSettings();
    const id = `nightly-${settings.temporal.taskQueuePrefix}`;
    await withWorkers(settings, async ({ client }) => {
      await createSchedule(client, settings, config, {
        id,
        cron: '0 2 * * *',
        timezone: 'Europe/Berlin',
        overlap: ScheduleOverlapPolicy.SKIP,
        catchupWindow: '1h',
        pauseOnFailure: true,
      });
      const before = await describeSchedule(client, id);
      expect(before).toMatchObject({
        id,
        paused: false,
        spec: 'cron "0 2 * * *"',
        timezone: 'Europe/Berlin',
        overlap: 'SKIP',
      });
      expect(new Date(before.nextRuns[0]!).getTime()).toBeGreaterThan(Date.now());

      await client.schedule.getHandle(id).trigger();
      let recent: { workflowId: string }[] = [];
      for (let i = 0; i < 50 && recent.length === 0; i++) {
        recent = (await describeSchedule(client, id)).recentRuns;
        if (recent.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(recent).toHaveLength(1);
      // Each scheduled run has its own workflow id (schedule id + time), so its own MLflow run.
      expect(recent[0]!.workflowId.startsWith(`${id}-`)).toBe(true);
      const summary = await watchPipeline(client.workflow.getHandle(recent[0]!.workflowId));
      expect(summary.status).toBe('completed');
      // A nightly run is a whole run: every stage, through registration.
      expect(summary.stages.map((s) => s.name)).toEqual([...STAGES]);
      expect(summary.tracking.mlflow?.runId).toBeTruthy();

      await client.schedule.getHandle(id).pause('maintenance');
      expect(await describeSchedule(client, id)).toMatchObject({
        paused: true,
        note: 'maintenance',
      });
      // The schedule list is read from Temporal's visibility store, which follows a create
      // or a delete after a moment: ask until it does.
      const listed = async () => (await listSchedules(client)).map((s) => s.id);
      const poll = { timeout: 15_000, interval: 250 };
      await expect.poll(listed, poll).toContain(id);
      await client.schedule.getHandle(id).delete();
      await expect.poll(listed, poll).not.toContain(id);
    });
  });

  it('rejects bad schedule words before reaching Temporal', async () => {
    const settings = testSettings();
    const base = {
      id: 'x',
      timezone: 'UTC',
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1h',
      pauseOnFailure: false,
    };
    await withWorkers(settings, async ({ client }) => {
      for (const [req, field] of [
        [{ ...base, cron: '0 2 * *' }, '--cron'],
        [{ ...base, every: 'daily' }, '--every'],
        [{ ...base }, '--cron/--every'],
        [{ ...base, cron: '0 2 * * *', timezone: 'Mars/Olympus' }, '--timezone'],
        [{ ...base, every: '1d', id: 'bad id!' }, 'id'],
      ] as const) {
        const err = await createSchedule(client, settings, config, req).catch((e: unknown) => e);
        expect(err, field).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).issues[0]!.field).toBe(field);
      }
    });
  });
});
