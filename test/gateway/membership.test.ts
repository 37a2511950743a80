/**
 * Who gets traffic, changed while the gateway runs: draining through the admin API
 * (in-flight requests finish, new ones go elsewhere), and membership from the store's
 * node registry — the real `miniscale gateway --discover` process reading a real
 * embedded store that this test writes to, with no restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RunningGateway } from '../../src/gateway/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { killAll, spawnTs } from '../support/processes.js';
import { countBy, gateway, load, startUpstreams, waitFor, type Outcome, type UpstreamHandle } from './helpers.js';

describe('draining through the admin API', () => {
  let ups: UpstreamHandle[];
  let gw: RunningGateway;
  before(async () => {
    ups = await startUpstreams(2);
    gw = await gateway({ upstreams: ups.map((u) => u.url), balancing: { algorithm: 'round-robin' } });
  });
  after(async () => {
    await gw.close();
    killAll();
  });

  it('lets a draining upstream finish its in-flight requests and sends it no new ones', async () => {
    const [slow, other] = ups as [UpstreamHandle, UpstreamHandle];
    await slow.knobs({ latencyMs: 800 });
    const id = new URL(slow.url).host;
    const inflight = load(gw.url, { concurrency: 2, total: 2 });
    await new Promise((r) => setTimeout(r, 150));
    const drain = await request(`${gw.url}/_gateway/upstreams/${id}/drain`, { method: 'POST' });
    const drained = (await drain.body.json()) as { url: string; state: string; inflight: number };
    assert.equal(drain.statusCode, 200);
    assert.deepEqual([drained.url, drained.state, drained.inflight], [slow.url, 'draining', 1]);

    const after = await load(gw.url, { concurrency: 4, total: 40 });
    assert.deepEqual(
      countBy(after, (o) => o.upstream),
      { [other.id]: 40 },
      'no new requests for the draining upstream',
    );
    const first = await inflight;
    assert.deepEqual(
      countBy(first, (o) => `${o.upstream}:${o.status}`),
      { [`${slow.id}:200`]: 1, [`${other.id}:200`]: 1 },
      'its in-flight request finished',
    );

    const undrain = await request(`${gw.url}/_gateway/upstreams/${encodeURIComponent(slow.url)}/undrain`, { method: 'POST' });
    assert.equal(((await undrain.body.json()) as { state: string }).state, 'healthy');
    await slow.knobs({ latencyMs: 0 });
    const back = await load(gw.url, { concurrency: 2, total: 20 });
    assert.equal(countBy(back, (o) => o.upstream)[slow.id], 10, 'back in the rotation');
  });
});

describe('an admin drain outlives the upstream it drained', () => {
  it('a single-process gateway keeps a drain across the upstream being removed and added again', async () => {
    const gw = await gateway({ upstreams: ['http://127.0.0.1:1', 'http://127.0.0.1:2'], healthChecks: { intervalMs: 0 } });
    try {
      const drain = await request(`${gw.url}/_gateway/upstreams/127.0.0.1:1/drain`, { method: 'POST' });
      assert.equal(drain.statusCode, 200);
      await drain.body.dump();
      // What discovery does when the machine flaps: gone from the registry, then back.
      assert.equal(gw.removeUpstream('127.0.0.1:1'), true);
      gw.addUpstream('http://127.0.0.1:1');
      const listed = await request(`${gw.url}/_gateway/upstreams`);
      const { upstreams } = (await listed.body.json()) as { upstreams: Array<{ url: string; state: string }> };
      assert.deepEqual(
        upstreams.map((u) => [u.url, u.state]),
        [
          ['http://127.0.0.1:2', 'healthy'],
          ['http://127.0.0.1:1', 'draining'],
        ],
      );
    } finally {
      await gw.close();
    }
  });
});

describe('membership from the node registry (miniscale gateway --discover)', () => {
  let ups: UpstreamHandle[];
  let store: Store;
  let dataDir: string;
  let gatewayUrl: string;
  let child: ReturnType<typeof spawnTs>;
  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-gw-registry-'));
    store = await openStore({ driver: 'embedded', dir: path.join(dataDir, 'embedded') });
    ups = await startUpstreams(2);
    await store.register('node-a', { url: ups[0]!.url, draining: false }, 60_000);
    child = spawnTs(
      'src/cli.ts',
      [
        'gateway',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--discover',
        '--data',
        dataDir,
        '--discover-interval',
        '200',
        '--slow-start',
        '500',
        '--health-interval',
        '500',
        '--no-access-log',
      ],
      { MINISCALE_LOG_LEVEL: 'warn' },
    );
    gatewayUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('"event":"listening"'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${err}`)));
    });
  });
  after(async () => {
    killAll();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const servedBy = async (n: number) => countBy(await load(gatewayUrl, { concurrency: 2, total: n }), (o) => o.upstream);
  const listed = async () =>
    ((await (await request(`${gatewayUrl}/_gateway/upstreams`)).body.json()) as { upstreams: Array<{ url: string; state: string }> })
      .upstreams;

  it('adds, drains and removes upstreams as the registry changes, with no restart and no failed request', async () => {
    const [a, b] = ups as [UpstreamHandle, UpstreamHandle];
    const seen: Outcome[] = [];
    let running = true;
    const background = (async () => {
      while (running) seen.push(...(await load(gatewayUrl, { concurrency: 2, total: 20 })));
    })();
    try {
      assert.deepEqual(await servedBy(10), { [a.id]: 10 });

      await store.register('node-b', { url: b.url, draining: false }, 60_000);
      const joinMs = await waitFor('the new node to get traffic', async () => (await servedBy(10))[b.id] !== undefined, 3_000);
      process.stdout.write(`# registry: a new node got traffic ${joinMs} ms after it registered\n`);

      await store.register('node-a', { url: a.url, draining: true }, 60_000);
      await waitFor('node-a to be draining', async () => (await listed()).find((u) => u.url === a.url)?.state === 'draining', 3_000);
      assert.deepEqual(await servedBy(20), { [b.id]: 20 }, 'a draining node gets no new requests');

      await store.deregister('node-a');
      await waitFor('node-a to leave', async () => (await listed()).every((u) => u.url !== a.url), 3_000);
      assert.deepEqual(
        (await listed()).map((u) => u.url),
        [b.url],
      );
    } finally {
      running = false;
      await background;
    }
    assert.ok(seen.length > 50);
    assert.deepEqual(
      countBy(seen, (o) => String(o.status)),
      { 200: seen.length },
      'every request during the changes succeeded',
    );
  });

  it('stops on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
