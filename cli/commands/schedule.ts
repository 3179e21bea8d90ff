import type { ScheduleOverlapPolicy } from '@temporalio/client';
import type { Command } from 'commander';
import { loadPipelineConfig, parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { createSchedule, describeSchedule, listSchedules } from '../../lib/runtime/schedules.ts';
import { runtimeSettings } from '../../lib/runtime/settings.ts';
import type { Client } from '@temporalio/client';
import { guarded, info, printJson, withClient } from '../output.ts';

interface CreateFlags {
  config?: string;
  cron?: string;
  every?: string;
  timezone: string;
  overlap: string;
  catchupWindow: string;
  pauseOnFailure?: boolean;
  paused?: boolean;
  json?: boolean;
}

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('nightly (or any cadence) pipeline runs on Temporal Schedules');

  schedule
    .command('create <id>')
    .description('create a schedule that runs the pipeline with a config')
    .option('-c, --config <file>', 'pipeline config (YAML or JSON); embedded defaults when omitted')
    .option('--cron <expr>', 'cron expression, e.g. "0 2 * * *" (02:00 every day)')
    .option('--every <duration>', 'fixed interval instead of cron: 30m, 6h, 1d')
    .option('--timezone <tz>', 'IANA time zone of the cron expression', 'UTC')
    .option(
      '--overlap <policy>',
      'if the previous run is still going: SKIP, BUFFER_ONE, BUFFER_ALL, CANCEL_OTHER, TERMINATE_OTHER, ALLOW_ALL',
      'SKIP',
    )
    .option(
      '--catchup-window <duration>',
      'how late a missed run may still start after an outage',
      '1h',
    )
    .option('--pause-on-failure', 'pause the schedule when a run fails')
    .option('--paused', 'create it paused')
    .option('--json', 'print the schedule as JSON')
    .action((id: string, flags: CreateFlags) =>
      guarded(async () => {
        const settings = runtimeSettings();
        const config = flags.config
          ? loadPipelineConfig(flags.config)
          : parsePipelineConfig({}, 'defaults');
        await withClient(async (client) => {
          await createSchedule(client, settings, config, {
            id,
            cron: flags.cron,
            every: flags.every,
            timezone: flags.timezone,
            overlap: flags.overlap as ScheduleOverlapPolicy,
            catchupWindow: flags.catchupWindow,
            pauseOnFailure: flags.pauseOnFailure ?? false,
            paused: flags.paused,
          });
          const view = await describeSchedule(client, id);
          if (flags.json) return printJson(view);
          info(
            `schedule ${id} created: ${view.spec} (${view.timezone ?? 'UTC'}), next run ${view.nextRuns[0] ?? 'none (paused)'}`,
          );
        });
      }),
    );

  schedule
    .command('list')
    .description('every schedule with its next run')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) =>
      guarded(() =>
        withClient(async (client) => {
          const all = await listSchedules(client);
          if (flags.json) return printJson(all);
          if (all.length === 0) info('no schedules');
          for (const s of all)
            info(
              `${s.id.padEnd(30)} ${s.paused ? 'paused ' : 'active '} next ${s.nextRuns[0] ?? '-'}`,
            );
        }),
      ),
    );

  schedule
    .command('describe <id>')
    .description('spec, policies, next runs and recent runs of a schedule')
    .option('--json', 'print JSON')
    .action((id: string, flags: { json?: boolean }) =>
      guarded(() =>
        withClient(async (client) => {
          const v = await describeSchedule(client, id);
          if (flags.json) return printJson(v);
          info(
            `${v.id}: ${v.paused ? `paused (${v.note ?? ''})` : 'active'}, ${v.spec} (${v.timezone ?? 'UTC'}), overlap ${v.overlap}`,
          );
          info(`  next: ${v.nextRuns.slice(0, 3).join(', ') || '-'}`);
          for (const r of v.recentRuns) info(`  ran ${r.workflowId} (scheduled ${r.scheduledAt})`);
        }),
      ),
    );

  const simple = (
    name: string,
    description: string,
    act: (client: Client, id: string, note?: string) => Promise<void>,
  ) =>
    schedule
      .command(`${name} <id>`)
      .description(description)
      .option('--note <text>', 'why (shown by describe)')
      .action((id: string, flags: { note?: string }) =>
        guarded(() =>
          withClient(async (client) => {
            await act(client, id, flags.note);
            info(`schedule ${id}: ${name} done`);
          }),
        ),
      );
  simple('pause', 'stop starting runs until unpaused', (c, id, note) =>
    c.schedule.getHandle(id).pause(note),
  );
  simple('unpause', 'resume starting runs', (c, id, note) =>
    c.schedule.getHandle(id).unpause(note),
  );
  simple('trigger', 'start a run now, whatever the schedule says', (c, id) =>
    c.schedule.getHandle(id).trigger(),
  );
  simple('delete', 'delete the schedule (runs already started go on)', (c, id) =>
    c.schedule.getHandle(id).delete(),
  );
}
