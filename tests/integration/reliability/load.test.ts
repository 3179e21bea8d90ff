import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';

/**
 * Many whole pipelines at once on one machine (one cpu and one gpu worker): all complete,
 * and no two runs publish to the same stage key. `npm test` runs 6; `npm run
 * test:reliability` runs 20 (LOAD_RUNS).
 */
const RUNS = Number(process.env.LOAD_RUNS ?? 6);

function config(k: number) {
  return parsePipelineConfig({
    name: `load-${k}`,
    seed: 9000 + k,
    data: { source: `synthetic:users=200,items=120,interactions=6000,seed=${k}` },
    preprocess: { kCore: 2 },
    gan: { generatorUnits: 32, discriminatorUnits: 16, epochs: 3, users: 'all', topK: 2 },
    llm: { sequence: { epochs: 1 } },
    model: { factors: 8, epochs: 3 },
    evaluate: { resamples: 1000, baselines: false },
  });
}

describe('load', () => {
  it(`${RUNS} concurrent pipeline runs all complete, each with its own artifacts`, async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client }) => {
      const t0 = Date.now();
      const cpu0 = process.cpuUsage();
      const handles = await Promise.all(
        Array.from({ length: RUNS }, (_, k) => startPipeline(client, settings, config(k))),
      );
      const summaries = await Promise.all(handles.map((h) => watchPipeline(h, undefined, 2_000)));
      const seconds = (Date.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      for (const s of summaries) {
        expect(s.error, s.workflowId).toBeUndefined();
        expect(s.status).toBe('completed');
      }
      // Every stage output of every run under its own content-addressed key.
      const keys = summaries.flatMap((s) =>
        s.stages.flatMap((st) => Object.values(st.outputs).map((uri) => `${st.name} ${uri}`)),
      );
      expect(keys.length).toBeGreaterThan(RUNS * 8);
      expect(new Set(keys).size).toBe(keys.length);
      console.warn(
        `load: ${RUNS} runs in ${seconds.toFixed(1)} s, ` +
          `CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ` +
          `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (test process + workers)`,
      );
    });
  }, 600_000);
});
