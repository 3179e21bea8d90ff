/**
 * The expansion loop: users in batches -> requests (history, candidates) -> the chooser's
 * answers -> rows. Each accepted answer is a BPR triple (user, liked, disliked), written as
 * a synthetic positive (label 1) and an explicit negative (label 0), both tagged llm by the
 * caller. Rejected answers are counted by reason, with a few examples kept for the summary.
 * Both rows of a triple carry its plausibility: minus its BPR loss under the base model that
 * proposed the candidates, so resample's pruning drops the highest-loss triples first.
 */
import type { Csr } from '../eval/types.ts';
import type { TopNewItems } from '../models/baselines/top-new.ts';
import type { ChoiceRequest, Chooser, DropReason } from './types.ts';

export interface ExpandOptions {
  /** Users per chooser call (prompts in flight are bounded by the chooser). */
  batchSize: number;
  /** Longest history handed to the chooser (most recent items). */
  maxHistory: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ExpansionRows {
  n: number;
  user: Int32Array;
  item: Int32Array;
  label: Uint8Array;
  score: Float32Array;
  /** Minus the BPR loss of the row's triple under the base model (higher = more plausible). */
  plausibility: Float32Array;
}

/**
 * BPR loss of a triple (user, liked, disliked) whose base-model scores differ by `margin` =
 * s(liked) - s(disliked): -log sigmoid(margin), written to stay finite for any margin. High
 * when the base model prefers the disliked item: the least plausible triples.
 */
export function tripleLoss(margin: number): number {
  return Math.max(-margin, 0) + Math.log1p(Math.exp(-Math.abs(margin)));
}

export interface ExpansionResult {
  rows: ExpansionRows;
  /** Users asked. */
  users: number;
  /** Accepted answers (= triples). */
  triples: number;
  dropped: Record<DropReason, number>;
  /** First few rejection details, for the run summary. */
  examples: string[];
}

export async function expandUsers(
  users: Int32Array,
  histories: Csr,
  candidates: TopNewItems,
  chooser: Chooser,
  opts: ExpandOptions,
): Promise<ExpansionResult> {
  const cap = users.length * 2;
  const rows: ExpansionRows = {
    n: 0,
    user: new Int32Array(cap),
    item: new Int32Array(cap),
    label: new Uint8Array(cap),
    score: new Float32Array(cap),
    plausibility: new Float32Array(cap),
  };
  const dropped: Record<DropReason, number> = { malformed: 0, outOfRange: 0, same: 0, failed: 0 };
  const examples: string[] = [];
  const per = candidates.perUser;
  let triples = 0;
  for (let start = 0; start < users.length; start += opts.batchSize) {
    opts.signal?.throwIfAborted();
    const end = Math.min(users.length, start + opts.batchSize);
    const batch: ChoiceRequest[] = [];
    const where: number[] = [];
    for (let r = start; r < end; r++) {
      const u = users[r]!;
      const lo = histories.indptr[u]!;
      const hi = histories.indptr[u + 1]!;
      const history = histories.indices.slice(Math.max(lo, hi - opts.maxHistory), hi).reverse();
      let m = 0;
      while (m < per && candidates.items[r * per + m]! >= 0) m++;
      if (m < 2) {
        dropped.failed++;
        continue;
      }
      batch.push({ user: u, history, candidates: candidates.items.slice(r * per, r * per + m) });
      where.push(r);
    }
    const answers = await chooser.choose(batch, opts.signal);
    answers.forEach((a, b) => {
      if (!a.ok) {
        dropped[a.reason]++;
        if (examples.length < 5) examples.push(`user ${batch[b]!.user}: ${a.detail}`);
        return;
      }
      const r = where[b]!;
      const req = batch[b]!;
      const plausibility = -tripleLoss(
        candidates.scores[r * per + a.liked]! - candidates.scores[r * per + a.disliked]!,
      );
      for (const [item, label] of [
        [req.candidates[a.liked]!, 1],
        [req.candidates[a.disliked]!, 0],
      ] as const) {
        const k = rows.n++;
        rows.user[k] = req.user;
        rows.item[k] = item;
        rows.label[k] = label;
        rows.score[k] = a.score;
        rows.plausibility[k] = plausibility;
      }
      triples++;
    });
    opts.onProgress?.(end, users.length);
  }
  return { rows, users: users.length, triples, dropped, examples };
}
