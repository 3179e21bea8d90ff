/**
 * The real splits as the evaluation layer wants them: CSRs over dense ids. Shared by the
 * stages that rank (retrain for early stopping, evaluate for the A/B test).
 */
import { readInteractionsParquet } from '../lib/data/index.ts';
import type { Interactions } from '../lib/data/index.ts';
import { csrFromCoo } from '../lib/eval/csr.ts';
import { recencyRanksAsync } from '../lib/models/baselines/recency.ts';
import type { Csr } from '../lib/eval/index.ts';
import type { StageContext } from './stage-runner.ts';

export interface SplitCsrs {
  nUsers: number;
  nItems: number;
  train: Csr;
  valid: Csr;
  test?: Csr;
  /** With `recency`: each train entry's rank among its user's rows, 0 the latest (recency.ts). */
  trainRecency?: Int32Array;
}

/** Users and items after preprocessing, from its manifest: the size of every dense id space. */
export function catalogSize(ctx: StageContext<unknown>): { nUsers: number; nItems: number } {
  const stats = ctx.inputManifest('preprocess').stats as { users?: number; items?: number };
  const nUsers = Number(stats.users);
  const nItems = Number(stats.items);
  // Preprocess refuses empty splits (checkPreprocessed), so only a damaged manifest gets here:
  // reading it again gives the same answer, so it is not retried.
  if (!(nUsers > 0 && nItems > 0))
    throw Object.assign(
      new Error(
        `the preprocess manifest does not say how many users and items there are (users ${String(stats.users)}, items ${String(stats.items)}): run \`augment resume <workflowId> --recompute preprocess\``,
      ),
      { retryable: false },
    );
  return { nUsers, nItems };
}

/**
 * One split of the preprocess stage (`train`, `valid`, `test`): its rows (with their
 * timestamps, for the stages that need the order) and the CSR over dense ids.
 */
export async function readSplit(
  ctx: StageContext<unknown>,
  name: 'train' | 'valid' | 'test',
): Promise<{ rows: Interactions; csr: Csr }> {
  const { nUsers } = catalogSize(ctx);
  const rows = await readInteractionsParquet(await ctx.inputFile('preprocess', `${name}.parquet`));
  return { rows, csr: csrFromCoo(rows.user, rows.item, rows.n, nUsers) };
}

/** One split of the preprocess stage (`train`, `valid`, `test`) as a CSR over dense ids. */
export async function readSplitCsr(
  ctx: StageContext<unknown>,
  name: 'train' | 'valid' | 'test',
): Promise<Csr> {
  return (await readSplit(ctx, name)).csr;
}

/**
 * Reads the preprocess stage's splits (`test` only when asked for) into CSRs; with
 * `recency`, also the train entries' recency ranks (for EASE's history weighting).
 */
export async function readSplitCsrs(
  ctx: StageContext<unknown>,
  withTest: boolean,
  options: { recency?: boolean } = {},
): Promise<SplitCsrs> {
  const { nUsers, nItems } = catalogSize(ctx);
  const train = await readSplit(ctx, 'train');
  const csr = (name: 'valid' | 'test') => readSplitCsr(ctx, name);
  return {
    nUsers,
    nItems,
    train: train.csr,
    valid: await csr('valid'),
    test: withTest ? await csr('test') : undefined,
    ...(options.recency ? { trainRecency: await recencyRanksAsync(train.rows, nUsers) } : {}),
  };
}

/**
 * Why a stage makes no rows one step back (lib/teacher/one-step-back.ts): `off`, or a split
 * that is not leave-last-out (only there is the test item a step beyond validation);
 * undefined when it should make them.
 */
export function oneStepBackSkipped(
  ctx: StageContext<unknown>,
  enabled: boolean | undefined,
): string | undefined {
  if (enabled !== true) return 'off';
  if (ctx.inputManifest('preprocess').stats.split !== 'leave-last-out')
    return 'the split is not leave-last-out';
  return undefined;
}
