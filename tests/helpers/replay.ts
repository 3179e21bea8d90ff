import { join } from 'node:path';

/**
 * A recorded history of a whole pipeline run (the e2e test's, written with RECORD_HISTORY=1).
 * tests/unit/workflows/replay.test.ts replays it against the current workflow code, so a
 * change that would break runs already in flight fails the suite. Re-record only for a
 * deliberate, versioned (patched) change of the workflow.
 */
export const REPLAY_FIXTURE = join(import.meta.dirname, '../fixtures/histories/pipeline-full.json');
