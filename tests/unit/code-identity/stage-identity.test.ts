import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeCodeIdentity } from '../../../lib/code-identity/index.ts';
import { activityIdentities } from '../../../lib/code-identity/write.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { copyCodeTree } from '../../helpers/code-tree.ts';

/** The module that defines each stage (its `source`). */
const STAGE_MODULES = {
  ingest: 'activities/ingest.ts',
  preprocess: 'activities/preprocess.ts',
  trainGan: 'activities/train-gan.ts',
  generateGan: 'activities/generate-gan.ts',
  expandLlm: 'activities/expand-llm.ts',
  teacher: 'activities/teacher.ts',
  resample: 'activities/resample.ts',
  retrain: 'activities/retrain.ts',
  evaluate: 'activities/evaluate.ts',
  register: 'activities/register.ts',
  report: 'activities/report.ts',
};
type Stage = keyof typeof STAGE_MODULES;

function identities(root: string): Record<Stage, string> {
  const out = {} as Record<Stage, string>;
  for (const [stage, module] of Object.entries(STAGE_MODULES))
    out[stage as Stage] = computeCodeIdentity(root, module).hash;
  return out;
}

/** The stages whose code identity changes when `file` gets one more comment line. */
function changedBy(file: string): Stage[] {
  const before = identities(copyCodeTree());
  const after = identities(copyCodeTree(file));
  return (Object.keys(STAGE_MODULES) as Stage[]).filter((s) => before[s] !== after[s]);
}

describe('stage code identity', () => {
  it('is the same for the same tree in another folder and another process', () => {
    const here = activityIdentities(PROJECT_ROOT);
    const root = copyCodeTree();
    // The copy's own writer, in a child process, over the copy's files.
    execFileSync(process.execPath, ['--import', 'tsx', 'lib/code-identity/write.ts', root], {
      cwd: root,
      stdio: 'pipe',
    });
    const there = JSON.parse(readFileSync(join(root, 'code-identity.json'), 'utf8')) as {
      modules: Record<string, string>;
    };
    expect(there.modules).toEqual(here);
    expect(Object.keys(here)).toEqual(expect.arrayContaining(Object.values(STAGE_MODULES)));
  });

  it('changes for the retrain stages only when model training code changes', () => {
    expect(changedBy('lib/models/bpr/bpr-train.ts')).toEqual(['retrain']);
  });

  it('changes for the teacher only when its proposals change', () => {
    expect(changedBy('lib/teacher/propose.ts')).toEqual(['teacher']);
  });

  it('changes for evaluate only when the A/B test statistics change', () => {
    expect(changedBy('lib/eval/wilcoxon.ts')).toEqual(['evaluate']);
  });

  it('changes for every stage when the shared stage runner changes', () => {
    expect(changedBy('activities/stage-runner.ts')).toEqual(Object.keys(STAGE_MODULES));
  });

  it('names the importer when a referenced file is missing', () => {
    const root = copyCodeTree();
    appendFileSync(join(root, 'activities/ingest.ts'), "\nimport './gone.ts';\n");
    expect(() => computeCodeIdentity(root, 'activities/ingest.ts')).toThrow(
      /activities\/ingest\.ts: '\.\/gone\.ts' resolves to no file/,
    );
  });
});
