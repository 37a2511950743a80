/**
 * `miniscale nginx-config` output is real nginx configuration: `nginx -t` accepts it,
 * and traffic through that nginx reaches every API node.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary } from '../../src/redis-launcher/redis-server.js';
import { freePort } from '../../src/core/ports.js';
import { killAll, runTs } from '../support/processes.js';
import { call, login, startApiTopology, type ApiTopology } from '../support/api-nodes.js';

let topo: ApiTopology;
let prefix: string;
let nginx: ChildProcess | undefined;

before(async () => {
  topo = await startApiTopology({ env: { MINISCALE_RATE_LIMIT_IP: '0', MINISCALE_RATE_LIMIT_USER: '0' } });
  prefix = mkdtempSync(path.join(os.tmpdir(), 'miniscale-nginx-'));
  for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(prefix, dir));
});
after(async () => {
  if (nginx?.pid && nginx.exitCode === null) {
    nginx.kill('SIGTERM');
    await new Promise((r) => nginx!.once('exit', r));
  }
  await topo?.stop();
  killAll();
  rmSync(prefix, { recursive: true, force: true });
});

describe('miniscale nginx-config', { timeout: 120_000 }, () => {
  let port: number;
  let confFile: string;

  it('prints a configuration that nginx -t accepts', async () => {
    port = await freePort();
    const args = ['nginx-config', '--port', String(port), '--standalone', prefix, ...topo.nodes.flatMap((n) => ['--upstream', n.url])];
    const res = await runTs('src/cli.ts', args, 30_000);
    assert.equal(res.code, 0, res.stderr);
    for (const n of topo.nodes) assert.match(res.stdout, new RegExp(`server ${new URL(n.url).host} max_fails=3`));
    assert.match(res.stdout, /keepalive 64;/);
    assert.match(res.stdout, /proxy_set_header Connection "";/);
    confFile = path.join(prefix, 'nginx.conf');
    writeFileSync(confFile, res.stdout);
    const check = await runBinary(findBinary('nginx', 'apt-get install -y nginx'), ['-t', '-p', prefix, '-c', confFile]);
    assert.equal(check.code, 0, check.output);
    assert.match(check.output, /syntax is ok/);
  });

  it('traffic through that nginx reaches every node', async () => {
    nginx = spawn(findBinary('nginx', 'apt-get install -y nginx'), ['-p', prefix, '-c', confFile, '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while ((await call(base, 'GET', '/healthz').catch(() => ({ status: 0 }))).status !== 200) {
      assert.ok(Date.now() < deadline, 'nginx did not come up');
      await sleep(100);
    }
    const { token } = await login(base, 'via-nginx');
    assert.equal((await call(base, 'PUT', '/v1/me/kv/k', { token, json: { value: 'through nginx' } })).status, 200);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await call<{ value: string }>(base, 'GET', '/v1/me/kv/k', { token });
      assert.equal(res.body.value, 'through nginx');
      seen.add(String(res.headers['x-node-id']));
    }
    assert.equal(seen.size, topo.nodes.length, 'round-robin over every node');
    assert.equal((await call(base, 'GET', '/_gateway/upstreams')).status, 404, 'the gateway admin prefix is not proxied');
  });

  it('with no upstream and no running topology it exits 2 with one line', async () => {
    const res = await runTs('src/cli.ts', ['nginx-config', '--data', prefix], 30_000);
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim().split('\n').length, 1);
  });
});

function runBinary(file: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('exit', (code) => resolve({ code, output }));
  });
}
