/**
 * Several machines, on 127.0.0.1: each "machine" is a real `miniscale up --store redis
 * --advertise http://127.0.0.1:PORT` process on a port of its own, all sharing one real
 * redis-server, with a real `miniscale gateway --discover` in front reading the store's
 * node registry. Machines join, are drained, stop and die while GETs run through the
 * gateway; the gateway is never restarted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { machineNodeId } from '../../src/local/advertise.js';
import { freePort } from '../../src/core/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { call, login, TEST_ADMIN_KEY } from '../support/api-nodes.js';
import { killAll, listening, spawnTs } from '../support/processes.js';
import { runMiniscale, startTestRedis, tempDir, type TempDir, type TestRedis } from '../support/redis.js';
import { getLoad, isRunning, killAllUp, startUp, stopUp, waitFor, type LoadResult, type UpHandle } from '../support/up.js';

/** One user on one IP drives all the load, on purpose; and every machine shares one admin key. */
const MACHINE_ENV = { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0', MINISCALE_ADMIN_KEY: TEST_ADMIN_KEY };
const LOAD_CONNECTIONS = 8;

interface UpstreamRow {
  url: string;
  state: string;
  inflight: number;
  requests: number;
  failures: number;
}

interface Machine {
  url: string;
  up: UpHandle;
  dir: TempDir;
}

describe('machines behind miniscale gateway --discover', { timeout: 300_000 }, () => {
  let redis: TestRedis;
  let registry: Store;
  let gatewayUrl: string;
  let token: string;
  const machines: Machine[] = [];
  const dirs: TempDir[] = [];

  async function startMachine(): Promise<Machine> {
    const port = await freePort('127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    const dir = tempDir('miniscale-machine-');
    dirs.push(dir);
    const up = await startUp(
      [
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--nodes',
        '1',
        '--store',
        'redis',
        '--store-url',
        redis.url,
        '--advertise',
        url,
        '--data',
        dir.path,
      ],
      MACHINE_ENV,
    );
    const m = { url, up, dir };
    machines.push(m);
    return m;
  }

  function startGateway(): Promise<{ url: string }> {
    const gw = spawnTs(
      'src/cli.ts',
      [
        'gateway',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--discover',
        '--store',
        'redis',
        '--store-url',
        redis.url,
        '--discover-interval',
        '200',
        '--health-interval',
        '500',
        '--slow-start',
        '500',
        '--no-access-log',
      ],
      { MINISCALE_LOG_LEVEL: 'warn' },
    );
    return listening<{ url: string }>(gw, 'gateway');
  }

  async function upstreams(url = gatewayUrl): Promise<UpstreamRow[]> {
    const res = await request(`${url}/_gateway/upstreams`, { reset: true });
    return ((await res.body.json()) as { upstreams: UpstreamRow[] }).upstreams;
  }
  const row = async (m: Machine) => (await upstreams()).find((u) => u.url === m.url);
  const registered = async () => (await registry.list()).map((n) => n.info.url as string).sort();

  /** GETs through the gateway while `during` runs, and for `tailMs` after. */
  async function underLoad(during: () => Promise<void>, tailMs = 500): Promise<LoadResult> {
    let finish!: () => void;
    const stop = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const load = getLoad(gatewayUrl, token, LOAD_CONNECTIONS, stop);
    try {
      await sleep(300);
      await during();
      await sleep(tailMs);
    } finally {
      finish();
    }
    return load;
  }

  before(async () => {
    redis = await startTestRedis();
    registry = await openStore({ driver: 'redis', url: redis.url });
    await startMachine();
    await startMachine();
    gatewayUrl = (await startGateway()).url;
    token = (await login(gatewayUrl, 'machines')).token;
    const put = await call(gatewayUrl, 'PUT', '/v1/me/kv/load', { token, json: { value: 'x' } });
    assert.equal(put.status, 200, put.text);
  });

  after(async () => {
    killAllUp();
    killAll();
    await registry?.close();
    await redis?.stop();
    for (const d of dirs) d.cleanup();
  });

  it('lists each machine once, by its advertised URL, and balances over them', async () => {
    const rows = await upstreams();
    assert.deepEqual(rows.map((u) => u.url).sort(), machines.map((m) => m.url).sort());
    assert.deepEqual(await registered(), machines.map((m) => m.url).sort(), 'one registry entry per machine, not one per worker');
    const before = await upstreams();
    const result = await underLoad(() => sleep(1_500));
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
    const after = await upstreams();
    for (const m of machines) {
      const served = after.find((u) => u.url === m.url)!.requests - before.find((u) => u.url === m.url)!.requests;
      assert.ok(served > result.total / 10, `${m.url} served ${served} of ${result.total}`);
    }
  });

  it('lets a second gateway discover the same machines from the same registry', async () => {
    const second = await startGateway();
    assert.deepEqual((await upstreams(second.url)).map((u) => u.url).sort(), machines.map((m) => m.url).sort());
    const res = await call(second.url, 'GET', '/v1/me/kv/load', { token });
    assert.equal(res.status, 200, res.text);
  });

  it('sends traffic to a machine that joins under load, with no gateway restart', async () => {
    let joined!: Machine;
    const result = await underLoad(async () => {
      joined = await startMachine();
      await waitFor('the gateway sends the new machine requests', async () => ((await row(joined))?.requests ?? 0) > 20, 15_000);
    });
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
    assert.equal((await upstreams()).length, 3);
  });

  it('sends a machine drained through the gateway no new requests, and its in-flight ones finish', async () => {
    const target = machines[2]!;
    let served = 0;
    const result = await underLoad(async () => {
      // By the machine's registry id; undrained below by its host:port.
      const res = await request(`${gatewayUrl}/_gateway/upstreams/${machineNodeId(target.url)}/drain`, { method: 'POST', reset: true });
      const body = (await res.body.json()) as UpstreamRow;
      assert.equal(res.statusCode, 200);
      assert.equal(body.state, 'draining');
      await waitFor('its in-flight requests finish', async () => (await row(target))!.inflight === 0, 5_000);
      served = (await row(target))!.requests;
      await sleep(1_000);
    });
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
    assert.equal((await row(target))!.requests, served, 'no request sent to the drained machine');
    const undrain = await request(`${gatewayUrl}/_gateway/upstreams/${new URL(target.url).host}/undrain`, { method: 'POST', reset: true });
    assert.equal(((await undrain.body.json()) as UpstreamRow).state, 'healthy');
  });

  it('lets a machine stopped with SIGTERM deregister and leave, with no failed request', async () => {
    const target = machines[1]!;
    const states = new Set<string>();
    const result = await underLoad(async () => {
      let stopped = false;
      const watch = (async () => {
        while (!stopped) {
          states.add((await row(target))?.state ?? 'gone');
          await sleep(100);
        }
      })();
      await stopUp(target.up, 'SIGTERM');
      stopped = true;
      await watch;
    });
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
    assert.ok(states.has('draining'), `the gateway saw it draining before it left (saw ${[...states].join(', ')})`);
    assert.match(
      target.up.lines.join('\n'),
      /registered as http:\/\/127\.0\.0\.1:\d+ for `miniscale gateway --discover`/,
      'the ready banner says where the machine is registered',
    );
    assert.ok(!(await registered()).includes(target.url), 'its registry entry is gone');
    await waitFor('the gateway drops it', async () => !(await row(target)), 5_000);
  });

  it('ejects a SIGKILLed machine, whose registry entry then expires', async () => {
    const target = machines[2]!;
    const pids = [target.up.child.pid!, ...target.up.pids];
    const result = await underLoad(async () => {
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await waitFor(
        'the gateway stops picking it',
        async () => ['ejected', 'unhealthy'].includes((await row(target))?.state ?? 'ejected'),
        10_000,
      );
      await waitFor('its registry entry expires', async () => !(await registered()).includes(target.url), 20_000);
      await waitFor('the gateway drops it', async () => !(await row(target)), 5_000);
    });
    for (const pid of pids) assert.ok(!isRunning(pid));
    // Every request here is a GET, which the gateway retries on another machine.
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
    assert.deepEqual(
      (await upstreams()).map((u) => u.url),
      [machines[0]!.url],
    );
  });
});

describe('up --advertise, bad values', { timeout: 120_000 }, () => {
  const dirs: TempDir[] = [];
  after(() => {
    for (const d of dirs) d.cleanup();
  });
  const redisArgs = ['--store', 'redis', '--store-url', 'redis://127.0.0.1:1'];
  for (const [name, args] of [
    ['a value that is no URL', ['--advertise', 'not a url', ...redisArgs]],
    ['https://', ['--advertise', 'https://10.0.0.1:8080', ...redisArgs]],
    ['a URL with a path', ['--advertise', 'http://10.0.0.1:8080/api', ...redisArgs]],
    ['a URL without a port', ['--advertise', 'http://10.0.0.1', ...redisArgs]],
    ['the unspecified address', ['--advertise', 'http://0.0.0.0:8080', ...redisArgs]],
    ['the embedded store', ['--advertise', 'http://10.0.0.1:8080']],
    ['--store redis-cluster with no URL (a launched local cluster)', ['--advertise', 'http://10.0.0.1:8080', '--store', 'redis-cluster']],
    ['--gateway', ['--advertise', 'http://10.0.0.1:8080', '--gateway', ...redisArgs]],
  ] as const) {
    it(`exits 2 with one line for ${name}`, async () => {
      const dir = tempDir('miniscale-advertise-');
      dirs.push(dir);
      const res = await runMiniscale(['up', ...args, '--data', dir.path]);
      assert.equal(res.code, 2, res.stderr);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      assert.match(res.stderr, /--advertise/);
      assert.equal(res.stdout, '');
    });
  }
});
