import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runStage } from '../../../activities/stage-runner.ts';
import type { StageDefinition } from '../../../activities/stage-runner.ts';
import type { StageRef } from '../../../lib/contracts/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { copyCodeTree } from '../../helpers/code-tree.ts';
import { tempDir } from '../../helpers/tmp.ts';

/**
 * preprocess -> retrainA -> evaluate, where retrainA and evaluate are defined "in" the
 * activity modules of a tree (their `source`), with bodies that write deterministic bytes.
 */
function pipeline(tree: string) {
  const ran: string[] = [];
  const stage = (
    name: 'preprocess' | 'retrainA' | 'evaluate',
    source: string,
    needs: ('preprocess' | 'retrainA')[],
  ): StageDefinition<Record<string, never>> => ({
    name,
    source,
    needs,
    async run(ctx) {
      ran.push(name);
      const upstream = needs.length
        ? readFileSync(await ctx.inputFile(needs[0]!, 'out.txt'), 'utf8')
        : 'data';
      const path = join(ctx.workDir, 'out.txt');
      writeFileSync(path, `${name}(${upstream})`);
      return { kind: 'text', files: [{ name: 'out.txt', path }], stats: {} };
    },
  });
  const module = (file: string) => pathToFileURL(join(tree, 'activities', file)).href;
  return {
    ran,
    preprocess: stage('preprocess', import.meta.url, []),
    retrainA: stage('retrainA', module('retrain.ts'), ['preprocess']),
    evaluate: stage('evaluate', module('evaluate.ts'), ['retrainA']),
  };
}

async function run(tree: string, store: LocalArtifactStore) {
  const p = pipeline(tree);
  const refs: Record<string, StageRef> = {};
  const input = (inputs: Record<string, StageRef>) => ({ runId: 'r', config: {}, inputs });
  refs.preprocess = await runStage(p.preprocess, input({}), store);
  refs.retrainA = await runStage(p.retrainA, input({ preprocess: refs.preprocess }), store);
  refs.evaluate = await runStage(p.evaluate, input({ retrainA: refs.retrainA }), store);
  return { ran: p.ran, refs };
}

describe('re-running after a code change', () => {
  it('recomputes the stages whose code changed, and what their new outputs feed', async () => {
    const store = new LocalArtifactStore(join(tempDir(), 'store'));
    const first = await run(copyCodeTree(), store);
    expect(first.ran).toEqual(['preprocess', 'retrainA', 'evaluate']);

    // The same code in another folder: everything is cached.
    const same = await run(copyCodeTree(), store);
    expect(same.ran).toEqual([]);
    expect(same.refs.retrainA!.code).toBe(first.refs.retrainA!.code);

    // A comment in model training code: retrainA runs again and writes the same bytes, so
    // evaluate, which reads them, stays cached; its own code did not change.
    const edited = await run(copyCodeTree('lib/models/bpr/bpr-train.ts'), store);
    expect(edited.ran).toEqual(['retrainA']);
    expect(edited.refs.retrainA!.code).not.toBe(first.refs.retrainA!.code);
    expect(edited.refs.retrainA!.key).not.toBe(first.refs.retrainA!.key);
    expect(edited.refs.evaluate!.key).toBe(first.refs.evaluate!.key);

    // A comment in the evaluation's statistics: only evaluate runs again.
    const stats = await run(copyCodeTree('lib/eval/wilcoxon.ts'), store);
    expect(stats.ran).toEqual(['evaluate']);
  });
});
