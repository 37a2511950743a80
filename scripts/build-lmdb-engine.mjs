#!/usr/bin/env node
// postinstall: rebuilds the `lmdb` package's native addon on upstream LMDB 0.9
// (data format v1), the engine Miniscale's embedded store requires.
//
// Why: the prebuilt binaries of lmdb-js 2.x and 3.x embed a development fork of LMDB
// (reported as LMDB 0.9.90, data format v2). With several processes writing one environment — every
// `miniscale up` on the embedded store — it failed commits with "MDB_BAD_TXN ...
// mdb_page_touch no parent" in about 1 stress run in 10 and twice lost an acknowledged
// write. The same stress on LMDB 0.9.29 ran clean (docs/store.md). lmdb-js documents
// this build: `--build-from-source` with `use_data_v1`. It needs a C++ toolchain
// (Debian: build-essential, python3) once, at install time.
import { spawnSync } from 'node:child_process';

async function main() {
  let version;
  try {
    version = (await import('lmdb')).version;
  } catch (err) {
    console.error(`miniscale: cannot load lmdb (${err.message}); skipping the engine build`);
    process.exit(1);
  }
  // The fork reports itself as 0.9.90; upstream 0.9 releases are 0.9.0–0.9.3x.
  if (version.major === 0 && version.minor === 9 && version.patch < 90) return;
  console.error(
    `miniscale: lmdb ships ${version.versionString}; rebuilding it on LMDB 0.9 for safe multi-process writes (about a minute)…`,
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // The compiler's output is kept for a failure only: on success it is just noise.
  const run = spawnSync(npm, ['rebuild', 'lmdb', '--build-from-source', '--foreground-scripts'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, LMDB_DATA_V1: 'true' },
  });
  // A fresh process: this one has the old addon loaded.
  const check = spawnSync(process.execPath, ['-e', "import('lmdb').then((m) => console.log(m.version.versionString))"], {
    encoding: 'utf8',
  });
  if (run.status !== 0 || !/^LMDB 0\.9\.[0-8]?\d:/.test(check.stdout.trim())) {
    console.error(
      `${run.stdout ?? ''}${run.stderr ?? ''}`
        .split('\n')
        .filter((l) => /error|ERR!/i.test(l))
        .slice(-20)
        .join('\n'),
    );
    console.error(
      'miniscale: building lmdb on LMDB 0.9 failed. Install a C++ toolchain (Debian/Ubuntu: apt-get install -y build-essential python3) and run `npm rebuild lmdb --build-from-source` with LMDB_DATA_V1=true, or `npm ci` again.',
    );
    process.exit(1);
  }
  console.error(`miniscale: lmdb now runs ${check.stdout.trim()}`);
}

await main();
