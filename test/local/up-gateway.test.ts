/**
 * `miniscale up --gateway`: the gateway in the `up` process on the public port, each API
 * node a child process on its own port — per-request balancing, retries and health
 * checks on one machine, at the cost of a second hop. Real processes, real HTTP.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, login } from '../support/api-nodes.js';
import { tempDir, type TempDir } from '../support/redis.js';
import {
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

const UNLIMITED = { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0' };
const dirs: TempDir[] = [];
after(() => {
  killAllUp();
  for (const d of dirs) d.cleanup();
});

describe('miniscale up --gateway (embedded store)', { timeout: 240_000 }, () => {
  const temp = tempDir('miniscale-up-gw-');
  dirs.push(temp);
  const dir = temp.path;
  let up: UpHandle;
  let token: string;
  const states = async () =>
    (await call<{ upstreams: { state: string }[] }>(up.url, 'GET', '/_gateway/upstreams')).body.upstreams.map((u) => u.state);

  it('puts the gateway on the public port and balances over nodes on their own ports', async () => {
    up = await startUp(['--gateway', '--nodes', '2', '--data', dir], UNLIMITED);
    const t = topology(dir);
    assert.equal(t.topology, 'gateway');
    assert.equal(t.nodes.length, 2);
    for (const node of t.nodes) assert.notEqual(new URL(node).port, new URL(up.url).port, 'each node has a port of its own');
    const view = await call<{ algorithm: string; upstreams: { url: string }[] }>(up.url, 'GET', '/_gateway/upstreams');
    assert.equal(view.body.algorithm, 'p2c-ewma');
    assert.deepEqual(view.body.upstreams.map((u) => u.url).sort(), [...t.nodes].sort());
    token = (await login(up.url, 'gw-user')).token;
    assert.equal((await call(up.url, 'PUT', '/v1/me/kv/load', { token, json: { value: 1 } })).status, 200);
    // Concurrent, as real clients are: p2c-EWMA sends strictly sequential requests to
    // whichever node answered fastest, which is the point of it.
    const result = await getLoad(up.url, token, 8, sleep(1_500));
    assert.equal(result.failed, 0, JSON.stringify(result.statuses));
    assert.ok(result.nodeIds.size >= 2, `node ids seen: ${[...result.nodeIds].join(', ')}`);
  });

  it('restarts a SIGKILLed node while the gateway routes around it (GET errors ≤ 0.5 %)', async () => {
    const victim = topology(dir).workers[0]!.pid;
    const load = getLoad(up.url, token, 8, sleep(8_000));
    await sleep(1_500);
    process.kill(victim, 'SIGKILL');
    const restartMs = await waitFor(
      'a new node',
      () => {
        const t = topology(dir);
        return t.workers.length === 2 && !t.workers.some((w) => w.pid === victim);
      },
      15_000,
    );
    const result = await load;
    assert.ok(result.total > 200, `only ${result.total} requests`);
    assert.ok(result.failed / result.total <= 0.005, `${result.failed} of ${result.total} failed: ${JSON.stringify(result.statuses)}`);
    console.log(`# node restarted after ${restartMs} ms; ${result.failed}/${result.total} GETs failed`);
  });

  it('takes a SIGSTOPped node out of rotation without killing it, and back in after SIGCONT', async () => {
    const victim = topology(dir).workers[0]!.pid;
    process.kill(victim, 'SIGSTOP');
    try {
      const ms = await waitFor(
        'the stopped node out of rotation',
        async () => (await states()).some((st) => st === 'unhealthy' || st === 'ejected'),
        15_000,
      );
      console.log(`# SIGSTOPped node out of rotation after ${ms} ms`);
      const result = await getLoad(up.url, token, 4, sleep(1_000));
      assert.equal(result.failed, 0, JSON.stringify(result.statuses));
      assert.ok(isRunning(victim), 'the stopped node is left alone: the gateway routes around it');
    } finally {
      process.kill(victim, 'SIGCONT');
    }
    await waitFor('the node back in rotation', async () => (await states()).every((st) => st === 'healthy' || st === 'slow-start'), 15_000);
  });

  it('replaces every node with a rolling restart under load, with zero failed requests', async () => {
    await rollingRestartUnderLoad(up, dir, token, 8);
  });

  it('stops on SIGTERM with every child gone within 15 s', async () => {
    const pids = [...topology(dir).pids];
    const stopMs = await stopUp(up, 'SIGTERM');
    assert.ok(stopMs < 15_000, `stopped after ${stopMs} ms`);
    for (const pid of pids) assert.ok(!isRunning(pid), `PID ${pid} still runs`);
    assert.deepEqual(processesMentioning(dir), []);
  });
});
