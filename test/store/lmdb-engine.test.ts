/**
 * The embedded store runs only on upstream LMDB 0.9 (see scripts/build-lmdb-engine.mjs):
 * the installed addon must be that engine, and the driver must refuse any other.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { version } from 'lmdb';
import { checkLmdbEngine } from '../../src/store/drivers/embedded-env.js';

describe('LMDB engine', () => {
  it('npm ci installed lmdb built on LMDB 0.9', () => {
    assert.equal(version.major, 0);
    assert.equal(version.minor, 9);
    assert.ok(version.patch < 90, version.versionString);
    assert.doesNotThrow(() => checkLmdbEngine());
  });

  it('the embedded driver refuses the LMDB fork of the prebuilt binaries (0.9.90), saying how to fix it', () => {
    assert.throws(
      () => checkLmdbEngine({ major: 0, minor: 9, patch: 90, versionString: 'LMDB 0.9.90: (May 1, 2017)' }),
      (err: Error & { code?: string }) => err.code === 'MISSING_DEPENDENCY' && /0\.9\.90/.test(err.message) && /npm ci/.test(err.message),
    );
  });
});
