/**
 * The `miniscale` command's usage contract: --help everywhere exits 0, and every usage
 * error is exactly one line on stderr with exit code 2. Runs the CLI as a child process;
 * no server is started (bad values are rejected while parsing).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runMiniscale, tempDir } from '../support/redis.js';

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

describe('miniscale CLI usage', { timeout: 180_000 }, () => {
  // Should a bad value ever get past the parser, servers would start here; stop them by PID.
  const tmp = tempDir('miniscale-cli-');
  const dir = path.join(tmp.path, 'cluster');
  after(async () => {
    if (existsSync(path.join(dir, 'cluster.json'))) await runMiniscale(['redis-cluster', 'down', '--dir', dir]);
    tmp.cleanup();
  });

  it('--help exits 0 and lists redis-cluster', async () => {
    const r = await runMiniscale(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s+redis-cluster\b/m);
    assert.equal(r.stderr, '');
  });

  it('an unknown flag exits 2 with one line on stderr', async () => {
    const r = await runMiniscale(['--bogus']);
    assert.equal(r.code, 2);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /--bogus/);
    assert.equal(r.stdout, '');
  });

  it('redis-cluster --help exits 0 and lists up and down', async () => {
    const r = await runMiniscale(['redis-cluster', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s+up\b/m);
    assert.match(r.stdout, /^\s+down\b/m);
  });

  for (const sub of ['up', 'down']) {
    it(`redis-cluster ${sub} --help exits 0 and documents --dir`, async () => {
      const r = await runMiniscale(['redis-cluster', sub, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /--dir <dir>/);
    });
  }

  it('redis-cluster up --port nope exits 2 with exactly one line on stderr', async () => {
    const r = await runMiniscale(['redis-cluster', 'up', '--port', 'nope']);
    assert.equal(r.code, 2);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /--port/);
    assert.equal(r.stdout, '');
  });

  const badValues: [string, string][] = [
    ['--port', '0'],
    ['--port', '65536'],
    ['--port', '55531'], // 55531+10005 > 65535: no room for the last bus port
    ['--port', '7000.5'],
    ['--port', '0x1b58'],
    ['--replicas', '-1'],
    ['--replicas', 'two'],
    ['--node-timeout', '0'],
    ['--node-timeout', '5s'],
  ];
  for (const [flag, value] of badValues) {
    it(`redis-cluster up ${flag} ${value} is a one-line usage error (exit 2)`, async () => {
      const r = await runMiniscale(['redis-cluster', 'up', '--dir', dir, flag, value]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(flag));
      assert.equal(existsSync(dir), false, 'nothing was created');
    });
  }

  it('a base port with no room for the nodes of more replicas is a one-line usage error', async () => {
    // 55530 fits the default 6 nodes (last bus port 65535) but not the 9 of --replicas 2.
    const r = await runMiniscale(['redis-cluster', 'up', '--dir', dir, '--port', '55530', '--replicas', '2']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /--port 55530/);
    assert.equal(existsSync(dir), false, 'nothing was created');
  });
});
