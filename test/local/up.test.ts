/**
 * `miniscale up` as a user runs it, in its default one-hop topology: a real process
 * whose API node workers (node:cluster) share the public port, the in-process emulator,
 * a temp data dir — over real HTTP on 127.0.0.1. `up --gateway` has its own file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { call, login } from '../support/api-nodes.js';
import { runMiniscale, startTestRedis, tempDir, type TempDir, type TestRedis } from '../support/redis.js';
import {
  freshConnectionGets,
  getLoad,
  isRunning,
  killAllUp,
  processesMentioning,
  readUpTopology as topology,
  rollingRestartUnderLoad,
  startUp,
  stopUp,
  waitFor,
  type UpHandle,
} from '../support/up.js';

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

interface WorkerRow {
  url: string;
  nodeId: string;
  pid: number;
  state: string;
  requests: number;
  failures: number;
  restarts: number;
  connections: number;
}
interface WorkersView {
  topology: string;
  workers: number;
  upstreams: WorkerRow[];
}

/**
 * On a connection of its own: a kept-alive one might belong to a worker a test has
 * stopped, and hang with it.
 */
async function workersView(url: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<WorkersView> {
  const res = await request(`${url}/_gateway/upstreams`, { headers, reset: true, headersTimeout: timeoutMs });
  const text = await res.body.text();
  assert.equal(res.statusCode, 200, text);
  return JSON.parse(text) as WorkersView;
}

/** Two workers serving, neither of them one of `gone`. */
async function twoServing(dir: string, gone: number[]): Promise<boolean> {
  try {
    const t = topology(dir);
    return t.workers.length === 2 && t.workers.every((w) => !gone.includes(w.pid) && isRunning(w.pid));
  } catch {
    return false; // being rewritten
  }
}

describe('miniscale up, one hop (embedded store)', { timeout: 300_000 }, () => {
  const dir = dataDir();
  let up: UpHandle;
  let token: string;

  it('is ready within 20 s, and its workers answer on the one public port, each with its own X-Node-Id', async () => {
    const t0 = Date.now();
    up = await startUp(['--nodes', '2', '--data', dir], UNLIMITED);
    const readyMs = Date.now() - t0;
    assert.ok(readyMs < 20_000, `ready after ${readyMs} ms`);
    assert.ok(
      up.lines.some((l) => l.includes('Miniscale is up')),
      'prints the ready block',
    );
    assert.ok(
      up.lines.some((l) => l.includes(path.join(dir, 'admin-key'))),
      'says where the admin key is',
    );
    assert.ok(
      up.lines.some((l) => l.includes('dev mode')),
      'says it runs in dev mode',
    );
    assert.equal(statSync(path.join(dir, 'admin-key')).mode & 0o777, 0o600);
    const t = topology(dir);
    assert.equal(t.pid, up.child.pid);
    assert.equal(t.topology, 'one-hop');
    assert.equal(t.url, up.url);
    assert.equal(t.workers.length, 2);
    token = (await login(up.url, 'up-user')).token;
    const put = await call(up.url, 'PUT', '/v1/me/kv/load', { token, json: { value: { written: 'before restart' } } });
    assert.equal(put.status, 200, put.text);
    const result = await getLoad(up.url, token, 8, sleep(1_500));
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
    assert.deepEqual([...result.nodeIds].sort(), t.workers.map((w) => w.nodeId).sort(), 'both workers answer, and only they');
  });

  it('lists the workers in /_gateway/upstreams and sums their metrics in /_gateway/metrics', async () => {
    const view = await workersView(up.url);
    assert.equal(view.topology, 'one-hop');
    assert.deepEqual(
      view.upstreams.map((u) => u.pid).sort(),
      topology(dir)
        .workers.map((w) => w.pid)
        .sort(),
    );
    for (const u of view.upstreams) {
      assert.equal(u.state, 'healthy');
      assert.equal(u.restarts, 0);
      assert.ok(u.requests > 0, `worker ${u.nodeId} counted no request`);
      assert.match(u.nodeId, /^node-\d+-/);
    }
    const count = async () => {
      const text = (await call(up.url, 'GET', '/_gateway/metrics')).text;
      const line = text
        .split('\n')
        .find((l) => l.startsWith('miniscale_http_requests_total{method="GET",route="/v1/me/kv/:key",status="200"}'));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const before = await count();
    const load = await getLoad(up.url, token, 4, sleep(500));
    assert.equal(load.failed, 0);
    assert.equal((await count()) - before, load.total, 'the sum over the workers counts every GET once');
  });

  it('answers /_gateway/ only to loopback callers addressing a loopback host, or with the admin key', async () => {
    const foreign = await call(up.url, 'GET', '/_gateway/upstreams', { headers: { host: 'example.com' } });
    assert.equal(foreign.status, 403, foreign.text);
    assert.equal((foreign.body as { error: { code: string } }).error.code, 'FORBIDDEN');
    const crossSite = await call(up.url, 'POST', '/_gateway/upstreams/x/drain', { headers: { origin: 'https://evil.example' } });
    assert.equal(crossSite.status, 403);
    const key = readFileSync(path.join(dir, 'admin-key'), 'utf8').trim();
    const withKey = await workersView(up.url, { host: 'example.com', authorization: `Bearer ${key}` });
    assert.equal(withKey.upstreams.length, 2);
  });

  it('drains a worker from the admin API (new connections go to the other), refuses to drain the last one, and undrains', async () => {
    const [a, b] = topology(dir).workers;
    const drained = await call<WorkerRow>(up.url, 'POST', `/_gateway/upstreams/${a!.nodeId}/drain`);
    assert.equal(drained.status, 200, drained.text);
    assert.equal(drained.body.state, 'draining');
    const during = await freshConnectionGets(up.url, token, 4, sleep(800));
    assert.equal(during.failed, 0, JSON.stringify(during.statuses));
    assert.deepEqual([...during.nodeIds], [b!.nodeId], 'only the undrained worker takes connections');
    const last = await call(up.url, 'POST', `/_gateway/upstreams/${b!.pid}/drain`);
    assert.equal(last.status, 409, last.text);
    assert.equal((last.body as { error: { code: string } }).error.code, 'DRAIN_REFUSED');
    assert.equal((await call(up.url, 'POST', '/_gateway/upstreams/no-such-worker/drain')).status, 404);
    const undrained = await call<WorkerRow>(up.url, 'POST', `/_gateway/upstreams/${a!.nodeId}/undrain`);
    assert.equal(undrained.body.state, 'healthy');
    const after = await freshConnectionGets(up.url, token, 4, sleep(800));
    assert.equal(after.failed, 0);
    assert.equal(after.nodeIds.size, 2, 'both workers take connections again');
  });

  it('restarts a SIGKILLed worker within seconds; only the requests on its connections fail', async () => {
    const victim = topology(dir).workers[0]!;
    const stop = sleep(5_000);
    const load = getLoad(up.url, token, 8, stop, 3_000);
    await sleep(1_000);
    const held = (await workersView(up.url)).upstreams.find((u) => u.pid === victim.pid)!.connections;
    process.kill(victim.pid, 'SIGKILL');
    const restartMs = await waitFor('a new worker', () => twoServing(dir, [victim.pid]), 10_000);
    const result = await load;
    assert.ok(result.total > 200, `only ${result.total} requests`);
    // The requests in flight on its connections are reset. A connection node:cluster's
    // primary was handing to the worker at the instant it died is never answered: the
    // primary keeps it open waiting for an acknowledgement (docs/guarantees.md) — at
    // most one, and the client's timeout ends it.
    const timedOut = result.statuses.UND_ERR_HEADERS_TIMEOUT ?? 0;
    assert.ok(
      result.failed - timedOut <= held,
      `${result.failed - timedOut} reset, more than the ${held} connections the worker held: ${JSON.stringify(result.statuses)}`,
    );
    assert.ok(timedOut <= 1, `${timedOut} connections lost in the hand-off: ${JSON.stringify(result.statuses)}`);
    // 0.5 s of back-off and a worker's start-up (~1.5 s from source on a quiet machine,
    // 7 s seen on a loaded one; the benchmark holds the built one to 3 s). Bounded loosely
    // here: a busy CI machine must not fail the test, a worker that is not restarted must.
    assert.ok(restartMs <= 10_000, `back after ${restartMs} ms`);
    assert.ok(
      up.lines.some((l) => l.includes('node worker exited unexpectedly')),
      'the crash is logged',
    );
    const row = (await workersView(up.url)).upstreams.find((u) => u.pid !== victim.pid && u.restarts === 1);
    assert.ok(row, 'the replacement counts one restart of its slot');
    console.log(
      `# worker back after ${restartMs} ms; ${result.failed}/${result.total} GETs failed (it held ${held} connections; ${timedOut} lost in the hand-off)`,
    );
  });

  it('a worker told to drain (SIGTERM) under 16 keep-alive connections fails no request', async () => {
    const victim = topology(dir).workers[1]!;
    const stop = sleep(4_000);
    const load = getLoad(up.url, token, 16, stop);
    await sleep(1_000);
    process.kill(victim.pid, 'SIGTERM');
    await waitFor('the worker gone and replaced', () => !isRunning(victim.pid) && twoServing(dir, [victim.pid]), 12_000);
    const result = await load;
    assert.ok(result.total > 200, `only ${result.total} requests`);
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
  });

  it('marks a SIGSTOPped worker unhealthy within ~2 s, serves on from the other, and replaces it when it stays stuck', async () => {
    const victim = topology(dir).workers[0]!;
    const before = await freshConnectionGets(up.url, token, 4, sleep(1_500), 1_000);
    process.kill(victim.pid, 'SIGSTOP');
    try {
      // The first connection after the stop may be handed to the stopped worker: that one check fails.
      const stalled = async () =>
        (await workersView(up.url, {}, 1_000)).upstreams.some((u) => u.pid === victim.pid && u.state === 'unhealthy');
      const ms = await waitFor('the stopped worker unhealthy', () => stalled().catch(() => false), 6_000);
      // When the primary noticed, from its own log line: 1.5 s of missed beats, checked every 0.25 s.
      const noticed = up.lines
        .map((l) =>
          l.includes('missed its heartbeats') && l.includes(`"pid":${victim.pid}`)
            ? (JSON.parse(l) as { silentMs: number }).silentMs
            : undefined,
        )
        .find((v) => v !== undefined);
      assert.ok(noticed !== undefined && noticed <= 2_000, `stall noticed after ${noticed} ms of silence`);
      const served = await freshConnectionGets(up.url, token, 4, sleep(1_500), 1_000);
      // The other worker keeps serving; on two cores it has the CPU to itself, so its rate
      // should not drop — a third is a bound a loaded CI machine cannot trip by accident.
      const answered = served.total - served.failed;
      assert.ok(
        answered >= (before.total - before.failed) / 3,
        `${answered} answered while stalled, against ${before.total - before.failed} before: ${JSON.stringify(served.statuses)}`,
      );
      assert.ok(served.failed <= 1, `a stalled worker takes at most one connection: ${JSON.stringify(served.statuses)}`);
      assert.ok(!served.nodeIds.has(victim.nodeId));
      const replacedMs = await waitFor(
        'the stalled worker replaced',
        () => !isRunning(victim.pid) && twoServing(dir, [victim.pid]),
        15_000,
      );
      console.log(
        `# stalled worker noticed after ${noticed} ms of silence (seen in the view after ${ms} ms), replaced ${replacedMs} ms later`,
      );
    } finally {
      if (isRunning(victim.pid)) process.kill(victim.pid, 'SIGCONT');
    }
  });

  it('replaces every worker with a rolling restart under 16 keep-alive connections, with zero failed requests', async () => {
    await rollingRestartUnderLoad(up, dir, token, 16);
  });

  it('prints an nginx configuration of the running system that nginx -t accepts', async () => {
    const prefix = dataDir();
    const res = await runMiniscale(['nginx-config', '--data', dir, '--standalone', prefix]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(res.stdout.includes(new URL(up.url).host), 'fronts the public port');
    const conf = path.join(prefix, 'nginx.conf');
    writeFileSync(conf, res.stdout);
    const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
    const { spawnSync } = await import('node:child_process');
    const check = spawnSync(nginx, ['-t', '-p', prefix, '-c', conf], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });

  it('stops on SIGTERM with every process gone within 15 s', async () => {
    const pids = [...topology(dir).pids];
    const stopMs = await stopUp(up, 'SIGTERM');
    assert.ok(stopMs < 15_000, `stopped after ${stopMs} ms`);
    for (const pid of pids) assert.ok(!isRunning(pid), `PID ${pid} still runs`);
    assert.deepEqual(processesMentioning(dir), []);
    assert.ok(!existsSync(path.join(dir, 'topology.json')), 'topology.json is removed');
  });

  it('keeps data and sessions across a full restart on the same data dir', async () => {
    up = await startUp(['--nodes', '2', '--data', dir], UNLIMITED);
    const res = await call(up.url, 'GET', '/v1/me/kv/load', { token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((res.body as { value: unknown }).value, { written: 'before restart' });
  });

  it('leaves no orphan within 5 s when up itself is SIGKILLed', async () => {
    const pids = [...topology(dir).pids];
    assert.ok(pids.length >= 2);
    up.child.kill('SIGKILL');
    await up.exited;
    const ms = await waitFor('every worker gone', () => processesMentioning(dir).length === 0, 5_000);
    for (const pid of pids) assert.ok(!isRunning(pid), `PID ${pid} still runs`);
    console.log(`# orphans gone ${ms} ms after SIGKILL of up`);
  });
});

describe('miniscale up with a Redis store', { timeout: 240_000 }, () => {
  let redis: TestRedis | undefined;
  after(async () => {
    await redis?.stop();
  });

  it('--store redis: serves from a real redis-server and stops cleanly', async () => {
    redis = await startTestRedis();
    const dir = dataDir();
    const up = await startUp(['--nodes', '2', '--data', dir, '--store', 'redis', '--store-url', redis.url]);
    assert.ok(
      up.lines.some((l) => l.includes(`redis (${redis!.url})`)),
      'names the store in use',
    );
    const { token } = await login(up.url, 'redis-user');
    assert.equal((await call(up.url, 'PUT', '/v1/me/kv/k', { token, json: { value: 42 } })).status, 200);
    const got = await call(up.url, 'GET', '/v1/me/kv/k', { token });
    assert.deepEqual((got.body as { value: unknown }).value, 42);
    const keys = await redisKeys(redis.url);
    assert.ok(
      keys.some((k) => k.includes(':kv:k')),
      `no kv key in redis: ${keys.join(', ')}`,
    );
    await stopUp(up);
    assert.deepEqual(processesMentioning(dir), []);
  });

  it('--store redis-cluster with no URL launches a local cluster, and it goes when up is SIGKILLed', async () => {
    const dir = dataDir();
    const up = await startUp(['--nodes', '2', '--data', dir, '--store', 'redis-cluster'], {}, 120_000);
    const pids = [...topology(dir).pids];
    assert.ok(pids.length >= 2 + 6 + 1, `workers, 6 redis-servers and the guard: ${pids.join(', ')}`);
    const { token } = await login(up.url, 'cluster-user');
    for (let i = 0; i < 20; i++) {
      assert.equal((await call(up.url, 'POST', '/v1/counters/clicks', { token, json: { by: 1 } })).status, 200);
    }
    const counter = await call(up.url, 'GET', '/v1/counters/clicks', { token });
    assert.equal((counter.body as { value: number }).value, 20);
    up.child.kill('SIGKILL');
    await up.exited;
    const ms = await waitFor('every process of the system gone', () => pids.every((p) => !isRunning(p)), 10_000);
    console.log(`# cluster, guard and workers gone ${ms} ms after SIGKILL of up`);
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
    ['--algorithm without --gateway', ['up', '--algorithm', 'round-robin']],
    ['a --trust-proxy that is no address', ['up', '--trust-proxy', 'proxy.example']],
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
