/**
 * What resample (and the policy search, which builds candidate B sets the same way) reads:
 * the real train rows, the synthetic rows of every augmentation branch the workflow passed,
 * and for hard negatives each user's top item-kNN items.
 */
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageName } from '../lib/contracts/index.ts';
import { readInteractionsParquet, readSyntheticParquet } from '../lib/data/index.ts';
import { csrFromCoo } from '../lib/eval/csr.ts';
import { topNewItemsCsrAsync } from '../lib/models/baselines/index.ts';
import { TEACHER_WITH_HEAD } from '../lib/policy/grid.ts';
import type { ResampleInput, SyntheticSource } from '../lib/sampling/index.ts';
import { catalogSize } from './split-data.ts';
import type { StageContext } from './stage-runner.ts';

/** The teacher's proposals with the popular items allowed (the policy's `teacher+head`). */
export const TEACHER_HEAD_FILE = 'teacher-head.parquet';

/**
 * The same two proposals made one step back (lib/teacher/one-step-back.ts), which the policy
 * scores the teacher's candidates with when the teacher wrote them.
 */
export const TEACHER_BACK_FILES = {
  teacher: 'teacher-back.parquet',
  head: 'teacher-head-back.parquet',
} as const;

/** The LLM branch's rows made one step back, the policy's scoring rows for its candidates. */
export const LLM_BACK_FILE = 'llm-back.parquet';

/** The GAN's rows made one step back, likewise. */
export const GAN_BACK_FILE = 'gan-back.parquet';

/**
 * The synthetic-rows files of each augmentation branch, the one resample takes first (also
 * the identity of its rows).
 */
export const SYNTHETIC_FILES: Partial<Record<StageName, string[]>> = {
  generateGan: ['gan.parquet'],
  expandLlm: ['llm.parquet'],
  teacher: ['teacher.parquet', TEACHER_HEAD_FILE],
};

export async function readResampleInput(
  ctx: StageContext<unknown>,
  cfg: PipelineConfig['resample'],
): Promise<ResampleInput> {
  const { nUsers, nItems } = catalogSize(ctx);
  const train = await readInteractionsParquet(await ctx.inputFile('preprocess', 'train.parquet'));
  const synthetic: SyntheticSource[] = [];
  for (const [stage, [file]] of Object.entries(SYNTHETIC_FILES) as [StageName, string[]][])
    if (ctx.hasInput(stage))
      synthetic.push(await readSyntheticParquet(await ctx.inputFile(stage, file!)));
  // Hard negatives: items a quick base model (item kNN on the train split) ranks high.
  const neg = cfg.negatives;
  if (neg.strategy !== 'hard' || neg.perPositive === 0) return { nUsers, nItems, train, synthetic };
  ctx.heartbeat({ phase: 'ranking hard-negative candidates' });
  const trainCsr = csrFromCoo(train.user, train.item, train.n, nUsers);
  const hardCandidates = await topNewItemsCsrAsync(trainCsr, nItems, neg.hardPool);
  return { nUsers, nItems, train, synthetic, hardCandidates };
}

/** The teacher's head-allowed rows, when the run has a teacher. */
export async function readTeacherHeadRows(
  ctx: StageContext<unknown>,
): Promise<SyntheticSource | undefined> {
  if (!ctx.hasInput('teacher')) return undefined;
  return readSyntheticParquet(await ctx.inputFile('teacher', TEACHER_HEAD_FILE));
}

/** Whether the run has `stage` and it published `file` (files some runs write, some not). */
function published(ctx: StageContext<unknown>, stage: StageName, file: string): boolean {
  return ctx.hasInput(stage) && ctx.inputManifest(stage).files.some((f) => f.name === file);
}

/**
 * The rows one step back that the LLM branch or the GAN wrote beside its real rows, when it
 * did (the teacher's come in pairs: readTeacherBackRows).
 */
export async function readBackRows(
  ctx: StageContext<unknown>,
  stage: 'expandLlm' | 'generateGan',
): Promise<SyntheticSource | undefined> {
  const file = stage === 'expandLlm' ? LLM_BACK_FILE : GAN_BACK_FILE;
  if (!published(ctx, stage, file)) return undefined;
  return readSyntheticParquet(await ctx.inputFile(stage, file));
}

/**
 * The teacher's rows one step back, as the policy scores with them: the teacher's, and with
 * `withHead` the head-allowed ones; undefined when the teacher did not write them.
 */
export async function readTeacherBackRows(
  ctx: StageContext<unknown>,
  withHead: boolean,
): Promise<{ teacher: SyntheticSource; head?: SyntheticSource } | undefined> {
  if (!published(ctx, 'teacher', TEACHER_BACK_FILES.teacher)) return undefined;
  const read = async (name: string) => readSyntheticParquet(await ctx.inputFile('teacher', name));
  const teacher = await read(TEACHER_BACK_FILES.teacher);
  return withHead ? { teacher, head: await read(TEACHER_BACK_FILES.head) } : { teacher };
}

/**
 * The rows of the named sources (a policy candidate's or decision's); `teacher+head` names
 * the teacher's head-allowed rows.
 */
export function namedSynthetic(
  synthetic: readonly SyntheticSource[],
  sources: readonly string[],
  teacherHead: SyntheticSource | undefined,
): SyntheticSource[] {
  const out = synthetic.filter((s) => sources.includes(s.source));
  if (sources.includes(TEACHER_WITH_HEAD)) {
    if (!teacherHead) throw new Error(`${TEACHER_WITH_HEAD} was chosen but the run has no teacher`);
    out.push(teacherHead);
  }
  return out;
}
