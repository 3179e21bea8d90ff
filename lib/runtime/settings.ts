import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConnectionSettings } from '../config/env.ts';
import type { ConnectionSettings } from '../config/env.ts';
import { PROJECT_ROOT } from '../stack/config.ts';
import { resolveStackOptions, stackEnvironment } from '../stack/index.ts';

/**
 * Connection settings for the CLI and workers. Variables set in the environment win;
 * when a local stack has been started (`augment stack up`), its endpoints and local S3
 * credentials fill in whatever is unset, so the embedded defaults just work. Without
 * either, artifacts go to `<project>/.artifacts` on local disk.
 */
export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const local = localStackEnv(env);
  const merged = { ...local, ...definedOnly(env) };
  // What the local stack filled in is written back: the AWS SDK reads credentials from
  // process.env through its default chain, and a child process (an extra gpu worker)
  // inheriting this environment resolves the same settings. Whole groups, because a group
  // is taken from the stack only when none of it is set.
  for (const [k, v] of Object.entries(local)) if (env[k] === undefined || env[k] === '') env[k] = v;
  return loadConnectionSettings(merged, {
    artifactUri: pathToFileURL(join(PROJECT_ROOT, '.artifacts')).href,
    mlflowUri: 'http://127.0.0.1:5000',
  });
}

/**
 * Variables taken from the local stack, by group: a group is taken only when none of its
 * variables is set, so a half-configured production setting is never mixed with local ones.
 */
const GROUPS = [
  ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE'],
  [
    'ARTIFACT_URI',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL',
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ],
  ['MLFLOW_TRACKING_URI'],
];

function localStackEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.AUGMENT_IGNORE_LOCAL_STACK === '1') return {};
  const opts = resolveStackOptions({}, env);
  if (!existsSync(join(opts.dir, 'credentials.json'))) return {};
  const local = stackEnvironment(opts);
  const out: Record<string, string> = {};
  for (const group of GROUPS) {
    if (group.some((k) => env[k] !== undefined && env[k] !== '')) continue;
    for (const k of group) if (local[k] !== undefined) out[k] = local[k];
  }
  return out;
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  ) as Record<string, string>;
}
