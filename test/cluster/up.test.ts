/**
 * `miniscale up` as a user runs it: a real process, its real node children, the
 * in-process gateway and emulator, on a temp data dir — over real HTTP on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Topology } from '../../src/cluster/topology-file.js';
import { call, login } from '../support/api-nodes.js';
import { runMiniscale, startTestRedis, tempDir, type TempDir, type TestRedis } from '../support/redis.js';
import { getLoad, isRunning, killAllUp, processesMentioning, startUp, type UpHandle } from '../support/up.js';

/** No per-user or per-IP limits: the load below is one user on one IP, on purpose. */
const UNLIMITED = { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0' };
const dirs: TempDir[] = [];
after(() => {
  killAllUp();
  for (const d of dirs) d.cleanup();
});

function dataDir(): string {
  const d = tempDir('miniscale-up-');
  dirs.push(d);
  return d.path;
}

function topology(dir: string): Topology {
  return JSON.parse(readFileSync(path.join(dir, 'topology.json'), 'utf8')) as Topology;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
  return Date.now() - t0;
}

async function stopUp(up: UpHandle, signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
  const t0 = Date.now();
  up.child.kill(signal);
  const code = await up.exited;
  assert.equal(code, 0, `up exited with ${String(code)}:\n${up.lines.slice(-10).join('\n')}`);
  return Date.now() - t0;
}

describe('miniscale up (embedded store)', { timeout: 300_000 }, () => {
  const dir = dataDir();
  let up: UpHandle;
  let token: string;

  it('is ready within 20 s and spreads requests over at least 2 nodes, each with its own X-Node-Id', async () => {
    const t0 = Date.now();
    up = await startUp(['--nodes', '2', '--data', dir], UNLIMITED);
    const readyMs = Date.now() - t0;
    assert.ok(readyMs < 20_000, `ready after ${readyMs} ms`);
    assert.ok(up.lines.some((l) => l.includes('Miniscale is up')), 'prints the ready block');
    assert.ok(up.lines.some((l) => l.includes('dev mode')), 'says it runs in dev mode');
    assert.equal(statSync(path.join(dir, 'admin-key')).mode & 0o777, 0o600);
    assert.equal(topology(dir).pid, up.child.pid);
    token = (await login(up.gatewayUrl, 'up-user')).token;
    const put = await call(up.gatewayUrl, 'PUT', '/v1/me/kv/load', { token, json: { value: { written: 'before restart' } } });
    assert.equal(put.status, 200, put.text);
    // Concurrent, as real clients are: p2c-EWMA sends strictly sequential requests to
    // whichever node answered fastest, which is the point of it.
    const result = await getLoad(up.gatewayUrl, token, 8, sleep(1_500));
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
    assert.ok(result.nodeIds.size >= 2, `node ids seen: ${[...result.nodeIds].join(', ')}`);
  });

  it('restarts a SIGKILLed node while the gateway routes around it (GET errors ≤ 0.5 %)', async () => {
    const before = topology(dir);
    const victim = before.pids[0]!;
    const stop = sleep(8_000);
    const load = getLoad(up.gatewayUrl, token, 8, stop);
    await sleep(1_500);
    process.kill(victim, 'SIGKILL');
    const restartMs = await waitFor('a new node in topology.json', () => {
      const t = topology(dir);
      return t.nodes.length === 2 && !t.pids.includes(victim);
    }, 15_000);
    const result = await load;
    assert.ok(result.total > 200, `only ${result.total} requests`);
    assert.ok(result.failed / result.total <= 0.005, `${result.failed} of ${result.total} failed: ${JSON.stringify(result.statuses)}`);
    assert.ok(up.lines.some((l) => l.includes('node exited unexpectedly')), 'the crash is logged');
    console.log(`# node restarted after ${restartMs} ms; ${result.failed}/${result.total} GETs failed`);
  });

  it('takes a SIGSTOPped node out of rotation without killing it, and back in after SIGCONT', async () => {
    const [victim] = topology(dir).pids;
    const states = async () => {
      const res = await call<{ upstreams: { state: string }[] }>(up.gatewayUrl, 'GET', '/_gateway/upstreams');
      return res.body.upstreams.map((u) => u.state);
    };
    process.kill(victim!, 'SIGSTOP');
    try {
      const ms = await waitFor('the stopped node out of rotation', async () => (await states()).some((st) => st === 'unhealthy' || st === 'ejected'), 15_000);
      console.log(`# SIGSTOPped node out of rotation after ${ms} ms`);
      await sleep(1_000);
      assert.ok(isRunning(victim!), 'the stopped node is left alone, not killed');
      assert.equal(topology(dir).pids.length, 2, 'and not replaced');
    } finally {
      process.kill(victim!, 'SIGCONT');
    }
    await waitFor('the node back in rotation', async () => (await states()).every((st) => st === 'healthy' || st === 'slow-start'), 15_000);
  });

  it('replaces every node with a rolling restart under load, with zero failed requests', async () => {
    const before = topology(dir);
    let restarted!: Awaited<ReturnType<typeof runMiniscale>>;
    const restart = runMiniscale(['restart', '--data', dir], { timeoutMs: 90_000 }).then((r) => { restarted = r; });
    const result = await getLoad(up.gatewayUrl, token, 8, restart.then(() => sleep(500)));
    assert.equal(restarted.code, 0, restarted.stderr);
    const after = topology(dir);
    assert.equal(after.restarts, before.restarts + 1);
    for (const pid of before.pids) assert.ok(!after.pids.includes(pid), `node PID ${pid} was not replaced`);
    assert.ok(result.total > 200, `only ${result.total} requests`);
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
  });

  it('prints an nginx configuration of the running nodes that nginx -t accepts', async () => {
    const prefix = dataDir();
    const res = await runMiniscale(['nginx-config', '--data', dir, '--standalone', prefix]);
    assert.equal(res.code, 0, res.stderr);
    for (const node of topology(dir).nodes) assert.ok(res.stdout.includes(new URL(node).host), `${node} missing`);
    const conf = path.join(prefix, 'nginx.conf');
    (await import('node:fs')).writeFileSync(conf, res.stdout);
    const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
    const { spawnSync } = await import('node:child_process');
    const check = spawnSync(nginx, ['-t', '-p', prefix, '-c', conf], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });

  it('stops on SIGTERM with every child gone within 15 s', async () => {
    const pids = [...topology(dir).pids];
    const stopMs = await stopUp(up, 'SIGTERM');
    assert.ok(stopMs < 15_000, `stopped after ${stopMs} ms`);
    for (const pid of pids) assert.ok(!isRunning(pid), `PID ${pid} still runs`);
    assert.deepEqual(processesMentioning(dir), []);
    assert.ok(!existsSync(path.join(dir, 'topology.json')), 'topology.json is removed');
  });

  it('keeps data and sessions across a full restart on the same data dir', async () => {
    up = await startUp(['--nodes', '2', '--data', dir], UNLIMITED);
    const res = await call(up.gatewayUrl, 'GET', '/v1/me/kv/load', { token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((res.body as { value: unknown }).value, { written: 'before restart' });
  });

  it('leaves no orphan within 5 s when up itself is SIGKILLed', async () => {
    const pids = [...topology(dir).pids];
    assert.ok(pids.length >= 2);
    up.child.kill('SIGKILL');
    await up.exited;
    const ms = await waitFor('every node gone', () => processesMentioning(dir).length === 0, 5_000);
    for (const pid of pids) assert.ok(!isRunning(pid), `PID ${pid} still runs`);
    console.log(`# orphans gone ${ms} ms after SIGKILL of up`);
  });
});

describe('miniscale up with a Redis store', { timeout: 240_000 }, () => {
  let redis: TestRedis | undefined;
  after(async () => { await redis?.stop(); });

  it('--store redis: serves from a real redis-server and stops cleanly', async () => {
    redis = await startTestRedis();
    const dir = dataDir();
    const up = await startUp(['--nodes', '2', '--data', dir, '--store', 'redis', '--store-url', redis.url]);
    assert.ok(up.lines.some((l) => l.includes(`redis (${redis!.url})`)), 'names the store in use');
    const { token } = await login(up.gatewayUrl, 'redis-user');
    assert.equal((await call(up.gatewayUrl, 'PUT', '/v1/me/kv/k', { token, json: { value: 42 } })).status, 200);
    const got = await call(up.gatewayUrl, 'GET', '/v1/me/kv/k', { token });
    assert.deepEqual((got.body as { value: unknown }).value, 42);
    const keys = await redisKeys(redis.url);
    assert.ok(keys.some((k) => k.includes(':kv:k')), `no kv key in redis: ${keys.join(', ')}`);
    await stopUp(up);
    assert.deepEqual(processesMentioning(dir), []);
  });

  it('--store redis-cluster with no URL launches a local cluster, and it goes when up is SIGKILLed', async () => {
    const dir = dataDir();
    const up = await startUp(['--nodes', '2', '--data', dir, '--store', 'redis-cluster'], {}, 120_000);
    const pids = [...topology(dir).pids];
    assert.ok(pids.length >= 2 + 6 + 1, `nodes, 6 redis-servers and the guard: ${pids.join(', ')}`);
    const { token } = await login(up.gatewayUrl, 'cluster-user');
    for (let i = 0; i < 20; i++) {
      assert.equal((await call(up.gatewayUrl, 'POST', '/v1/counters/clicks', { token, json: { by: 1 } })).status, 200);
    }
    const counter = await call(up.gatewayUrl, 'GET', '/v1/counters/clicks', { token });
    assert.equal((counter.body as { value: number }).value, 20);
    up.child.kill('SIGKILL');
    await up.exited;
    const ms = await waitFor('every process of the system gone', () => pids.every((p) => !isRunning(p)), 10_000);
    console.log(`# cluster, guard and nodes gone ${ms} ms after SIGKILL of up`);
  });
});

describe('miniscale up refuses bad settings', () => {
  for (const [name, args] of [
    ['an unknown flag', ['up', '--bogus']],
    ['--nodes 0', ['up', '--nodes', '0']],
    ['an unknown store', ['up', '--store', 'mongodb']],
    ['--store redis without a URL', ['up', '--store', 'redis']],
    ['--store-url with the embedded store', ['up', '--store-url', 'redis://127.0.0.1:6379']],
    ['a bad port', ['up', '--port', '70000']],
  ] as const) {
    it(`exits 2 with one line for ${name}`, async () => {
      const res = await runMiniscale([...args, '--data', dataDir()]);
      assert.equal(res.code, 2, res.stderr);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      assert.equal(res.stdout, '');
    });
  }

  it('restart without a running up exits 2 and says so', async () => {
    const res = await runMiniscale(['restart', '--data', dataDir()]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /no running `miniscale up`/);
  });
});

async function redisKeys(url: string): Promise<string[]> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  try {
    return await client.keys('*');
  } finally {
    client.disconnect();
  }
}
