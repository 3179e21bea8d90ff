import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';

/**
 * Same seed, same artifacts: the whole pipeline computed twice from scratch, in two empty
 * artifact prefixes. Stage keys hash their inputs' content hashes, so equal keys at every
 * stage mean every upstream output was byte-identical; evaluation.json is compared directly.
 */
const config = parsePipelineConfig({
  name: 'determinism',
  seed: 4242,
  data: { source: 'synthetic:users=300,items=200,interactions=12000,seed=3' },
  preprocess: { kCore: 3 },
  gan: { generatorUnits: 32, discriminatorUnits: 16, epochs: 4, users: 'all', topK: 2 },
  llm: { sequence: { epochs: 2 } },
  model: { factors: 8, epochs: 4 },
  evaluate: { resamples: 1000 },
  registry: { enabled: false },
});

/** Output URIs without the run's artifact prefix, by stage. */
function relativeOutputs(
  stages: { name: string; outputs: Record<string, string> }[],
  root: string,
) {
  return Object.fromEntries(
    stages
      .filter((s) => s.name !== 'report')
      .map((s) => [s.name, Object.values(s.outputs).map((u) => u.replace(root, '<root>'))]),
  );
}

describe('determinism', () => {
  it('two runs from scratch with the same seed produce identical artifacts', async () => {
    const runs = [];
    for (let k = 0; k < 2; k++) {
      const settings = testSettings();
      runs.push(
        await withWorkers(settings, async ({ client, store }) => {
          const s = await watchPipeline(await startPipeline(client, settings, config));
          expect(s.status).toBe('completed');
          expect(s.stages.filter((st) => st.status === 'cached')).toEqual([]);
          const evaluation = s.stages.find((st) => st.name === 'evaluate')!.outputs[
            'evaluation.json'
          ]!;
          const key = evaluation.slice(store.rootUri.length + 1);
          return {
            outputs: relativeOutputs(s.stages, store.rootUri),
            evaluation: Buffer.from(await store.getBytes(key)).toString('utf8'),
          };
        }),
      );
    }
    expect(Object.keys(runs[0]!.outputs).length).toBeGreaterThanOrEqual(10);
    expect(runs[1]!.outputs).toEqual(runs[0]!.outputs);
    expect(runs[1]!.evaluation).toBe(runs[0]!.evaluation);
  }, 300_000);
});
