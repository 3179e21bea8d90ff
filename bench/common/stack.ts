/**
 * The local stack for a bench that runs pipelines: started when it is not up, and the
 * environment that points workers and clients at it, with an artifact prefix and task
 * queues of the bench's own. Each worker reads and writes under its own ARTIFACT_URI, so a
 * bench beside another on the same stack must not pick up the other's activities.
 */
import { resolveStackOptions, stackEnvironment, stackUp } from '../../lib/stack/index.ts';

/** `label` starts the artifact prefix and the task-queue prefix (then a fresh id). */
export async function benchStackEnv(label: string): Promise<Record<string, string>> {
  const opts = resolveStackOptions();
  await stackUp(opts, (m) => process.stderr.write(`[stack] ${m}\n`));
  const id = `${label}-${Date.now().toString(36)}`;
  return {
    ...stackEnvironment(opts),
    ARTIFACT_URI: `s3://${opts.bucket}/${id}`,
    TASK_QUEUE_PREFIX: id,
  };
}
