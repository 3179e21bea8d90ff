// `npm run build`: the compiled tree production workers run (`node dist/cli/main.js`, or
// bin/augment.mjs, which picks dist/ while it matches the sources): no tsx, no workflow
// bundling at worker start. Each step is named; `--quiet` prints nothing but errors.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { BUILD_INFO, sourceStamp } from './source-stamp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** The file workers load through `workflowBundle: { codePath }` (workers/start-worker.ts). */
export const WORKFLOW_BUNDLE = 'workflow-bundle.js';
const quiet = process.argv.includes('--quiet');

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  if (!quiet) console.error(`build: ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`build: node ${args.join(' ')} exited with ${r.status}`);
}

// Taken before compiling, so an edit made during the build marks the result stale.
const stamp = sourceStamp(ROOT);

await step('clean dist/', () => rmSync(DIST, { recursive: true, force: true }));

// Emit only: `npm run typecheck` is the type check (tsconfig.build.json sets noCheck).
await step('compile (tsc -p tsconfig.build.json)', () =>
  run([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']),
);

await step(`workflow bundle (dist/${WORKFLOW_BUNDLE})`, async () => {
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(ROOT, 'workflows/index.ts'),
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(join(DIST, WORKFLOW_BUNDLE), code);
});

// Stage cache keys derive from the code each activity reaches; compiled workers read the
// identities computed here from the sources (lib/code-identity).
const codeIdentityWriter = join(ROOT, 'lib/code-identity/write.ts');
if (existsSync(codeIdentityWriter)) {
  await step('code identities (dist/code-identity.json)', () =>
    run(['--import', 'tsx', codeIdentityWriter, DIST]),
  );
}

writeFileSync(join(DIST, BUILD_INFO), `${JSON.stringify({ sources: stamp }, null, 2)}\n`);
if (!quiet) console.error(`build: dist/ ready`);
