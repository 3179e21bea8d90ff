#!/usr/bin/env node
// Entry point of the `augment` CLI, on a supported Node (package.json "engines"): runs the
// compiled tree (dist/, `npm run build`) while it matches the sources, else the TypeScript
// sources through tsx's loader (always with AUGMENT_FROM_SOURCE=1). Started by an older one (`node bin/augment.mjs`
// outside npm scripts, on a machine whose Node is older), it hands over to the project's own
// Node that `node infra/setup.mjs` installs as node_modules/.bin/node.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MIN_NODE_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);

if (major < MIN_NODE_MAJOR) {
  const projectNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
  if (!existsSync(projectNode)) {
    process.stderr.write(
      `error: augment needs Node ${MIN_NODE_MAJOR} or newer (this is ${process.version}); ` +
        '`node infra/setup.mjs` installs one into the project\n',
    );
    process.exit(2);
  }
  const args = [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  const child = spawn(projectNode, args, { stdio: 'inherit' });
  // Ctrl-C reaches the whole process group, so the child has its SIGINT already (a second
  // one would cut its drain short): this process only waits. SIGTERM and SIGHUP sent to
  // this process alone (a parent stopping its worker) are passed on.
  const ignore = () => {};
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  child.on('exit', (code, signal) => {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else if (process.env.AUGMENT_FROM_SOURCE !== '1' && (await compiledIsCurrent())) {
  // `npm run build` output that matches the sources: compiled JS, no loader, no bundling.
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}

/** Whether dist/ was built from the sources as they are now (infra/source-stamp.mjs). */
async function compiledIsCurrent() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(`${root}/dist/build-info.json`)) return false;
  const stamp = await import('../infra/source-stamp.mjs');
  return stamp.compiledIsCurrent(root);
}
