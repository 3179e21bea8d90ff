import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { S3ArtifactStore } from '../../../lib/store/index.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { childProcessEnv, testSettings } from '../../helpers/temporal.ts';
import { connectClient } from '../../../lib/temporal/connection.ts';
import { tempDir } from '../../helpers/tmp.ts';

const run = promisify(execFile);
const fixtures = new URL('../../fixtures/data/', import.meta.url).pathname;

/** `augment run --config FILE --until STAGE --wait --json --worker [...extra]`, parsed. */
async function runJson(
  settings: ReturnType<typeof testSettings>,
  config: string,
  until: string,
  extra: string[] = [],
): Promise<ReturnType<typeof JSON.parse>> {
  const cli = join(PROJECT_ROOT, 'bin', 'augment.mjs');
  const args = ['run', '--config', config, '--until', until, '--wait', '--json', '--worker'];
  const { stdout } = await run(process.execPath, [cli, ...args, ...extra], {
    cwd: PROJECT_ROOT,
    env: childProcessEnv(settings),
    timeout: 150_000,
  });
  return JSON.parse(stdout);
}

/**
 * The user's contract: `augment run --config FILE --until preprocess --wait --json`
 * prints one JSON object with a `stages` array. Here with a MovieLens folder that lives
 * in the real S3 server (an s3:// source), and a worker inside the CLI process.
 */
describe('augment run --until preprocess --wait --json', () => {
  it('ingests a MovieLens layout from s3:// and prints the stage summary', async () => {
    const stack = inject('stack');
    const settings = testSettings();
    const prefix = `sources-${Date.now()}/ml-latest`;
    const src = new S3ArtifactStore({
      bucket: stack.bucket,
      prefix,
      ...settings.s3,
      credentials: stack.s3Credentials,
    });
    for (const name of ['ratings.csv', 'movies.csv']) {
      await src.putBytes(name, readFileSync(join(fixtures, 'ml-latest', name)));
    }
    const dir = tempDir();
    const config = join(dir, 'exp.yaml');
    const write = (...preprocess: string[]) =>
      writeFileSync(
        config,
        [
          'name: cli-test',
          'data:',
          `  source: movielens:s3://${stack.bucket}/${prefix}/`,
          'preprocess:',
          '  positiveThreshold: 3',
          '  kCore: 1',
          ...preprocess,
          'seed: 2',
        ].join('\n'),
      );
    // Positives >= 3: four rows (the 1.0 drops); user 1 keeps 2 rows, users 2 and 3 one each,
    // so nobody has the 3 rows leave-last-out needs to hold out valid and test rows: the run
    // fails at preprocess, naming the setting, and still prints its summary.
    write();
    const failed = await runJson(settings, config, 'preprocess').then(
      () => expect.fail('the run should fail at preprocess'),
      (err: { code?: number; stdout: string }) => {
        expect(err.code).not.toBe(0);
        return JSON.parse(err.stdout);
      },
    );
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('preprocess.split');
    expect(failed.error).toContain('no valid or test rows');
    expect(failed.stages[0].stats).toMatchObject({
      format: 'ml-latest',
      rows: 5,
      users: 3,
      items: 3,
    });

    // A random split of the same four rows (seeded) holds one out for each.
    write('  split: random', '  ratios: { train: 0.5, valid: 0.25, test: 0.25 }');
    const summary = await runJson(settings, config, 'preprocess');
    expect(summary.status).toBe('completed');
    expect(summary.stages.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual(
      [
        ['ingest', 'cached'],
        ['preprocess', 'done'],
      ],
    );
    const pre = summary.stages[1];
    expect(pre.stats).toMatchObject({
      order: 'timestamp',
      users: 3,
      items: 2,
      trainRows: 2,
      validRows: 1,
      testRows: 1,
    });
    expect(typeof pre.seconds).toBe('number');
    expect(pre.outputs['train.parquet']).toMatch(/^s3:\/\//);
    expect(summary.tracking.mlflow.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#\/experiments\//);
  });
});

describe('augment run --worker --gpu-workers 2', () => {
  it('serves the gpu queue from a second process, so the two branches run side by side', async () => {
    const settings = testSettings();
    const dir = tempDir();
    const config = join(dir, 'exp.yaml');
    writeFileSync(
      config,
      [
        'name: gpu-workers-test',
        'data:',
        '  source: synthetic:users=300,items=150,interactions=9000,seed=3',
        'preprocess:',
        '  kCore: 2',
        // Long enough that the branch taken first still runs when the second process polls.
        'gan:',
        '  epochs: 40',
        'llm:',
        '  sequence:',
        '    epochs: 2',
      ].join('\n'),
    );
    const summary = (await runJson(settings, config, 'expandLlm', ['--gpu-workers', '2'])) as {
      status: string;
      workflowId: string;
      stages: { name: string; status: string; seconds: number; runSeconds: number }[];
    };
    expect(summary.status).toBe('completed');
    const done = (name: string) => summary.stages.find((s) => s.name === name)!;
    expect([done('trainGan').status, done('expandLlm').status]).toEqual(['done', 'done']);
    for (const s of summary.stages) expect(s.runSeconds).toBeLessThanOrEqual(s.seconds);
    // Which worker process started each gpu stage: Temporal records it in the history.
    const client = await connectClient(settings.temporal);
    try {
      const history = await client.workflow.getHandle(summary.workflowId).fetchHistory();
      const scheduled = new Map<string, string>();
      const identity = new Map<string, string>();
      for (const e of history.events ?? []) {
        const a = e.activityTaskScheduledEventAttributes;
        if (a) scheduled.set(String(e.eventId), a.activityType?.name ?? '');
        const st = e.activityTaskStartedEventAttributes;
        if (st) identity.set(scheduled.get(String(st.scheduledEventId)) ?? '', st.identity ?? '');
      }
      expect(identity.get('trainGan')).toBeTruthy();
      expect(identity.get('expandLlm')).toBeTruthy();
      expect(identity.get('trainGan')).not.toBe(identity.get('expandLlm'));
    } finally {
      await client.connection.close();
    }
  });
});
