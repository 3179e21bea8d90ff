import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';

/** How a followed workflow ended: its result, or the error it failed with. */
export type Outcome<R> = { ok: true; r: R } | { ok: false; err: unknown };

/**
 * Waits for a workflow's result while polling `snapshot` (a query, plus whatever else the
 * caller watches) every `intervalMs`, calling `onChange` when a snapshot differs from the
 * last one. A failed snapshot (no workflow task has run yet) is skipped. When the workflow
 * failed, `snapshot` is tried once more, so `last` is its final state where possible.
 */
export async function followWorkflow<R, S>(
  handle: WorkflowHandle,
  snapshot: () => Promise<S>,
  onChange: ((s: S) => void) | undefined,
  intervalMs: number,
): Promise<{ outcome: Outcome<R>; seconds: number; last?: S }> {
  const t0 = Date.now();
  let last: S | undefined;
  let done = false;
  const result = handle.result().then(
    (r: R): Outcome<R> => ({ ok: true, r }),
    (err: unknown): Outcome<R> => ({ ok: false, err }),
  );
  void result.then(() => (done = true));
  while (!done) {
    try {
      const s = await snapshot();
      if (JSON.stringify(s) !== JSON.stringify(last)) onChange?.(s);
      last = s;
    } catch {
      // The workflow may not have had its first task yet; keep waiting.
    }
    await Promise.race([result, new Promise((r) => setTimeout(r, intervalMs))]);
  }
  const outcome = await result;
  const seconds = (Date.now() - t0) / 1000;
  if (!outcome.ok) last = (await snapshot().catch(() => last)) ?? last;
  return { outcome, seconds, last };
}

/** A closed workflow that did not complete: `cancelled` or `failed`. */
export function endedStatus(desc: WorkflowExecutionDescription): 'cancelled' | 'failed' {
  return desc.status.name === 'CANCELLED' ? 'cancelled' : 'failed';
}

/** Wall time of a closed workflow from its description (0 while it runs). */
export function closedSeconds(desc: WorkflowExecutionDescription): number {
  return desc.closeTime ? (desc.closeTime.getTime() - desc.startTime.getTime()) / 1000 : 0;
}
