import { describe, expect, it } from 'vitest';
import type { StageName } from '../../../lib/contracts/index.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import {
  PER_RUN_STAGES,
  chaosPlan,
  completedAttempts,
  expectCleanMlflow,
  expectWholeArtifacts,
  injectKills,
  smallPipelineConfig,
  stageIdentities,
  withActivityWorker,
} from '../../helpers/chaos.ts';

/**
 * Runs of the whole DAG whose activity worker is killed with SIGKILL inside seeded stages.
 * Each seed is one run with CHAOS_KILLS kills in distinct stages; `npm test` runs one seed
 * with 2, `npm run test:reliability` more (see package.json).
 */
const SEEDS = (process.env.CHAOS_SEEDS ?? '1').split(',').map(Number);
const KILLS = Number(process.env.CHAOS_KILLS ?? '2');
/**
 * The stages kills are planned in: `all`, or a list. By default the ones that run a second
 * or more here, so a kill rarely has to go through a concurrent tracking call (retried only
 * after its one-minute timeout).
 */
const TARGETS = process.env.CHAOS_STAGES ?? 'trainGan,expandLlm,teacher,evaluate';

const config = smallPipelineConfig('chaos', 23, 4);

interface Reference {
  identities: Awaited<ReturnType<typeof stageIdentities>>;
  /** Seconds each stage's attempt took in the worker (its work folder's lifetime). */
  seconds: Partial<Record<StageName, number>>;
  stages: StageName[];
}

let reference: Promise<Reference> | undefined;

/** The same config run once without faults. */
function faultFreeRun(): Promise<Reference> {
  reference ??= withActivityWorker(async ({ client, settings, store, watch }) => {
    const summary = await watchPipeline(await startPipeline(client, settings, config));
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('completed');
    return {
      identities: await stageIdentities(store, summary),
      seconds: watch.lifetimes(),
      stages: summary.stages.filter((s) => s.status === 'done').map((s) => s.name),
    };
  });
  return reference;
}

describe('chaos: the activity worker killed with SIGKILL inside any stage', () => {
  it.each(SEEDS)(
    `seed %i: ${KILLS} kills; the run completes with the fault-free bytes, whole manifests and a clean MLflow`,
    async (seed) => {
      const ref = await faultFreeRun();
      // Every stage of the DAG ran (none skipped), so any can be a target.
      expect(ref.stages).toHaveLength(13);
      const targets = TARGETS === 'all' ? ref.stages : (TARGETS.split(',') as StageName[]);
      const plan = chaosPlan(seed, targets, KILLS);
      await withActivityWorker(async ({ client, settings, store, worker, watch }) => {
        const handle = await startPipeline(client, settings, config);
        const outcome = await injectKills(handle, worker, watch, plan, ref.seconds);
        const summary = await watchPipeline(handle);
        const attempts = await completedAttempts(client, handle.workflowId);
        const t0 = watch.attempts[0]?.start ?? 0;
        // One line per run, for the figures in docs/reliability.md.
        console.warn(
          `[chaos] ${JSON.stringify({
            seed,
            kills: outcome.delivered,
            undelivered: outcome.undelivered,
            retried: Object.fromEntries([...attempts].filter(([, n]) => n > 1)),
            status: summary.status,
            attempts: watch.attempts.map(
              (a) =>
                `${a.stage} ${a.start - t0}-${a.end === undefined ? '' : a.end - t0}${a.killed ? ' killed' : ''}`,
            ),
            seconds: summary.seconds,
          })}`,
        );
        expect(summary.error).toBeUndefined();
        expect(summary.status).toBe('completed');
        expect(summary.tracking.error).toBeUndefined();
        // Every planned kill landed inside a running stage attempt ...
        expect(outcome.undelivered).toEqual([]);
        expect(outcome.delivered).toHaveLength(plan.length);
        // ... and that attempt died: a later one completed the stage.
        for (const k of outcome.delivered)
          expect(attempts.get(k.stage), `${k.stage} was retried`).toBeGreaterThan(1);
        // Byte-identical to the fault-free run, every stage but the per-run ones.
        const identities = await stageIdentities(store, summary);
        expect(Object.keys(identities).sort()).toEqual(
          ref.stages.filter((s) => !PER_RUN_STAGES.includes(s)).sort(),
        );
        expect(identities).toEqual(ref.identities);
        await expectWholeArtifacts(client, settings, store, handle.workflowId);
        await expectCleanMlflow(settings, summary, config.name);
      });
    },
    900_000,
  );
});
