/**
 * What verifying a read costs: `getFile` of a 100 MB object, plain and hashed while it
 * streams (as stages read their inputs), from MinIO and from the local store, alternating
 * the two modes so both see the same machine load. Prints wall and CPU time (medians of 9).
 *
 *   node --import tsx bench/store/verified-read.ts [--mb 100] [--stack-dir .stack-test]
 *
 * Uses the local stack in `--stack-dir` (started if it is not up).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TEST_PORTS } from '../../lib/stack/config.ts';
import { resolveStackOptions, stackEnvironment, stackUp } from '../../lib/stack/index.ts';
import { createStore, sha256 } from '../../lib/store/index.ts';
import type { ArtifactStore } from '../../lib/store/index.ts';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '100' }, 'stack-dir': { type: 'string' } },
});
const ROUNDS = 9;
const stackDir = values['stack-dir'];
const opts = stackDir
  ? resolveStackOptions({ dir: stackDir }, process.env, TEST_PORTS)
  : resolveStackOptions();
await stackUp(opts, (m) => process.stderr.write(`[stack] ${m}\n`));
const env = stackEnvironment(opts);
for (const [k, v] of Object.entries(env)) if (k.startsWith('AWS_')) process.env[k] = v;

const dir = mkdtempSync(join(tmpdir(), 'bench-verified-read-'));
const body = randomBytes(Number(values.mb) * 1024 * 1024);
const src = join(dir, 'src.bin');
writeFileSync(src, body);
const expected = { sha256: sha256(body), bytes: body.length, producer: 'bench' };
const s3 = { endpoint: env.AWS_ENDPOINT_URL_S3, region: 'us-east-1', forcePathStyle: true };
const stores: [string, ArtifactStore][] = [
  ['s3', createStore(`s3://${opts.bucket}/bench-verified-read-${Date.now().toString(36)}`, s3)],
  ['local', createStore(`file://${dir}/store`, s3)],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
try {
  for (const [name, store] of stores) {
    await store.putFile('big.bin', src);
    const wall = { plain: [] as number[], verified: [] as number[] };
    const cpu = { plain: [] as number[], verified: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const mode of i % 2
        ? (['plain', 'verified'] as const)
        : (['verified', 'plain'] as const)) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await store.getFile(
          'big.bin',
          join(dir, 'back.bin'),
          mode === 'verified' ? expected : undefined,
        );
        const c = process.cpuUsage(c0);
        wall[mode].push(performance.now() - t0);
        cpu[mode].push((c.user + c.system) / 1000);
      }
    }
    for (const mode of ['plain', 'verified'] as const)
      console.log(
        `${name} getFile ${values.mb} MB ${mode.padEnd(8)}: wall ${median(wall[mode]).toFixed(0)} ms, cpu ${median(cpu[mode]).toFixed(0)} ms (median of ${ROUNDS})`,
      );
    await store.deletePrefix('');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
