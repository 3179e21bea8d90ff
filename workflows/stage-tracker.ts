import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  isCancellation,
} from '@temporalio/workflow';
import type {
  PipelineProgress,
  StageName,
  StageProgress,
  StageRef,
  TrackingState,
} from '../lib/contracts/index.ts';

/**
 * Workflow-side half of the cached-stage mechanism: keeps each stage's status and timing
 * for the `progress` query and turns activity failures into a readable stage error.
 * `Date.now()` is deterministic inside workflows (it is the workflow task's time).
 */
export class StageTracker {
  private readonly stages = new Map<StageName, StageProgress>();
  state: PipelineProgress['state'] = 'running';
  tracking: TrackingState = {};

  constructor(
    readonly runId: string,
    names: readonly StageName[],
  ) {
    for (const name of names) this.stages.set(name, { name, status: 'pending' });
  }

  /** Runs one stage activity, recording its progress. Rethrows failures. */
  async run(name: StageName, call: () => Promise<StageRef>): Promise<StageRef> {
    const p = this.stages.get(name)!;
    p.status = 'running';
    p.startedAt = Date.now();
    try {
      const ref = await call();
      p.status = ref.status;
      p.ref = ref;
      return ref;
    } catch (err) {
      p.status = 'failed';
      p.error = describeFailure(err);
      throw err;
    } finally {
      p.endedAt = Date.now();
      p.seconds = (p.endedAt - p.startedAt) / 1000;
    }
  }

  /** Marks stages that will not run in this execution (e.g. after `until`), and why. */
  skip(names: readonly StageName[], reason?: string): void {
    for (const n of names) {
      const p = this.stages.get(n);
      if (p && p.status === 'pending') {
        p.status = 'skipped';
        if (reason) p.note = reason;
      }
    }
  }

  snapshot(): PipelineProgress {
    return {
      runId: this.runId,
      state: this.state,
      stages: [...this.stages.values()].map((s) => ({ ...s })),
      tracking: { ...this.tracking },
    };
  }

  list(): StageProgress[] {
    return this.snapshot().stages;
  }
}

/** The innermost message of a failure chain: what the operator needs to read. */
export function describeFailure(err: unknown): string {
  if (isCancellation(err) || err instanceof CancelledFailure) return 'cancelled';
  let cur: unknown = err;
  // Through activity and child-workflow wrappers (an experiment's variants are children).
  while ((cur instanceof ActivityFailure || cur instanceof ChildWorkflowFailure) && cur.cause)
    cur = cur.cause;
  if (cur instanceof ApplicationFailure)
    return cur.type ? `${cur.type}: ${cur.message}` : cur.message;
  return cur instanceof Error ? cur.message : String(cur);
}
