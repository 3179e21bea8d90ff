import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../lib/stack/config.ts';
import {
  TEST_PORTS,
  endpointsOf,
  resolveStackOptions,
  stackCredentials,
  stackDown,
  stackEnvironment,
  stackUp,
} from '../lib/stack/index.ts';

/**
 * Starts the real local stack (Temporal dev server, MinIO, MLflow) once for all
 * integration tests, on its own ports and folder so it coexists with a developer's stack.
 * A stack that is already up is reused and left running; one started here is stopped at
 * the end unless KEEP_TEST_STACK=1.
 */
export default async function setup(project: TestProject) {
  const opts = resolveStackOptions({ dir: `${PROJECT_ROOT}/.stack-test` }, {}, TEST_PORTS);
  const up = await stackUp(opts, (m) => console.warn(`[test stack] ${m}`));
  const startedHere = up.services.some((s) => s.action === 'started');
  console.warn(`[test stack] ready in ${up.seconds.toFixed(1)} s`);
  project.provide('stack', {
    ...endpointsOf(opts),
    dir: opts.dir,
    s3Credentials: stackCredentials(opts),
    env: stackEnvironment(opts),
  });
  return async () => {
    if (startedHere && process.env.KEEP_TEST_STACK !== '1') await stackDown(opts);
  };
}
