/**
 * `GET /_gateway/stats`, `miniscale status` and the console page in every topology:
 * `up` (one hop), `up --gateway`, and `miniscale gateway` with static upstreams, with
 * upstreams discovered from the store, and with several workers. Each runs with
 * traffic; the stats must show one row per worker or upstream with rates and
 * latencies, the store's health, and the page must draw them in Chromium.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { StatsReport } from '../../src/console/stats-types.js';
import { startApiTopology, TEST_ADMIN_KEY, type ApiTopology } from '../support/api-nodes.js';
import { finished, killAll, listening, spawnTs } from '../support/processes.js';
import { request } from 'undici';
import { runMiniscale } from '../support/redis.js';
import { killAllUp, readUpTopology, startUp, stopUp, waitFor, type UpHandle } from '../support/up.js';
import { busy, launchChromium, nonLoopbackAddress, readStats, statsUntil, traffic } from './helpers.js';

let browser: Browser;

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  killAll();
  killAllUp();
});

/**
 * The page draws one row per worker or upstream, and its chart has points; with
 * `drain`, the first row's Drain button (confirmed) drains it and Undrain brings it back.
 */
async function pageShows(base: string, rows: number, opts: { drain?: boolean } = {}): Promise<void> {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}/_gateway/`);
    await page
      .locator('#rows tr')
      .nth(rows - 1)
      .waitFor();
    assert.equal(await page.locator('#rows tr').count(), rows);
    await waitFor('points on the chart', async () => Number(await page.locator('#chart-rps svg').getAttribute('data-points')) > 0, 15_000);
    if (!opts.drain) return;
    page.on('dialog', (d) => void d.accept());
    const ref = await page.locator('#rows tr').first().locator('button').getAttribute('data-ref');
    await page.locator(`button[data-ref="${ref}"][data-op="drain"]`).click();
    await page.locator(`#rows tr[data-state="draining"]:has(button[data-ref="${ref}"])`).waitFor();
    const view = (await (await request(`${base}/_gateway/upstreams`)).body.json()) as {
      upstreams: Array<{ url: string; nodeId?: string; state: string }>;
    };
    assert.equal(view.upstreams.find((u) => u.url === ref || u.nodeId === ref)?.state, 'draining', 'the admin API sees the drain');
    await page.locator(`button[data-ref="${ref}"][data-op="undrain"]`).click();
    await page.locator(`#rows tr:not([data-state="draining"]):has(button[data-ref="${ref}"])`).waitFor();
  } finally {
    await page.close();
  }
}

/** `miniscale status --url`: exit 0, a line per row, and the store. */
async function statusShows(base: string, names: string[], store: RegExp, extra: string[] = []): Promise<string> {
  const r = await runMiniscale(['status', '--url', base, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  for (const name of names) assert.ok(r.stdout.includes(name), `status shows ${name}:\n${r.stdout}`);
  assert.match(r.stdout, store);
  return r.stdout;
}

/** The rows every report must have: ids, rates that add up to the traffic, quantiles. */
function assertRows(r: StatsReport, ids: string[]): void {
  assert.deepEqual(r.rows.map((row) => row.id).sort(), [...ids].sort());
  for (const row of r.rows) {
    assert.equal(row.series.rps.length, r.t.length, 'one value per sample time');
    assert.ok(['healthy', 'slow-start'].includes(row.state), `${row.id} is ${row.state}`);
  }
  assert.ok(r.t.length >= 2 && r.t.length <= 300);
}

describe('one hop (`up`): stats, status found through --data, and the key over a non-loopback address', { timeout: 180_000 }, () => {
  let dir: string;
  let up: UpHandle;
  let load: { stop(): Promise<number> };
  let remote: { address: string; release(): void };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-console-up-'));
    remote = nonLoopbackAddress();
    up = await startUp(['--nodes', '2', '--data', dir, '--host', '0.0.0.0'], { MINISCALE_ADMIN_KEY: TEST_ADMIN_KEY });
    load = traffic(up.url);
  });
  after(async () => {
    await load?.stop();
    if (up) await stopUp(up);
    remote?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /_gateway/stats: a row per worker slot, the store as the nodes ping it', async () => {
    const r = await statsUntil(up.url, 'both workers busy', (s) => s.rows.length === 2 && s.rows.every((row) => row.now.rps > 0));
    assert.equal(r.topology, 'one-hop');
    assertRows(r, ['worker-1', 'worker-2']);
    for (const row of r.rows) {
      assert.equal(typeof row.nodeId, 'string');
      assert.equal(row.restarts, 0);
      assert.equal(row.ejections, null, 'nothing ejects in one hop');
      assert.ok(row.now.p50Ms !== null && row.now.p99Ms !== null && row.now.p99Ms >= row.now.p50Ms);
    }
    assert.ok(
      r.rows.some((row) => row.now.errors4xx > 0),
      'the 404s of the traffic are counted as 4xx',
    );
    assert.deepEqual(
      { ...r.store, series: undefined, pingMs: typeof r.store!.pingMs },
      { driver: 'embedded', seenBy: 'nodes', ok: true, pingMs: 'number', series: undefined },
    );
  });

  it('miniscale status finds the running `up` through --data', async () => {
    const r = await runMiniscale(['status', '--data', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /one-hop · round-robin/);
    assert.match(r.stdout, /^worker 1 \(node-/m);
    assert.match(r.stdout, /^worker 2 \(node-/m);
    assert.match(r.stdout, /store: embedded · ok · ping \d/);
  });

  it('miniscale status over a non-loopback address: refused without the key, answered with --admin-key-file', async () => {
    const base = `http://${remote.address}:${new URL(up.url).port}`;
    const empty = mkdtempSync(path.join(os.tmpdir(), 'miniscale-nokey-'));
    const refused = await runMiniscale(['status', '--url', base, '--data', empty]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^miniscale: FORBIDDEN: .*refused: not a loopback address; give --admin-key-file.*\n$/);
    const keyFile = path.join(empty, 'key');
    writeFileSync(keyFile, `${TEST_ADMIN_KEY}\n`);
    await statusShows(base, ['worker 1', 'worker 2'], /store: embedded/, ['--admin-key-file', keyFile, '--data', empty]);
    rmSync(empty, { recursive: true, force: true });
  });

  it('miniscale status --watch redraws until stopped', async () => {
    const child = spawnTs('src/cli.ts', ['status', '--url', up.url, '--watch', '--interval', '0.3']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor('three redraws', () => out.split('\u001b[2J').length > 3, 15_000);
    child.kill('SIGINT');
    await finished(child, 5_000);
    assert.match(out, /worker 1/);
  });

  it('the page', () => pageShows(up.url, 2));

  it('a worker that crashes keeps its row, with one restart and a new PID', async () => {
    const victim = (await readStats(up.url)).rows.find((row) => row.id === 'worker-2')!;
    process.kill(victim.pid!, 'SIGKILL');
    const r = await statsUntil(
      up.url,
      'worker 2 restarted',
      (s) => s.rows.some((row) => row.id === 'worker-2' && row.pid !== victim.pid && row.restarts === 1 && row.state === 'healthy'),
      30_000,
    );
    assert.deepEqual(
      r.rows.map((row) => row.id),
      ['worker-1', 'worker-2'],
    );
  });
});

describe("`up --gateway`: a row per node, the store through the nodes' /readyz", { timeout: 180_000 }, () => {
  let dir: string;
  let up: UpHandle;
  let load: { stop(): Promise<number> };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-console-gw-'));
    up = await startUp(['--gateway', '--nodes', '2', '--data', dir]);
    load = traffic(up.url);
  });
  after(async () => {
    await load?.stop();
    if (up) await stopUp(up);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stats, status and the page', async () => {
    const r = await statsUntil(
      up.url,
      'busy, with the store probed',
      (s) => busy(s) && s.rows.length === 2 && s.store?.driver === 'embedded',
    );
    assert.equal(r.topology, 'gateway');
    assert.equal(r.algorithm, 'p2c-ewma');
    const urls = r.rows.map((row) => row.url);
    assertRows(r, urls);
    for (const row of r.rows) {
      assert.match(row.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(row.ejections, 0);
      assert.equal(row.restarts, 0, "up's supervisor counts the restarts of its nodes");
    }
    assert.equal(r.store!.seenBy, 'probes');
    assert.equal(r.store!.ok, true);
    await statusShows(
      up.url,
      urls.map((u) => u.replace('http://', '')),
      /store: embedded · ok · ping [\d.]+ ms \(through the nodes' \/readyz\)/,
    );
    await pageShows(up.url, 2, { drain: true });
  });

  it('a node that crashes comes back as a row with one restart', async () => {
    const victim = (await readStats(up.url)).rows[0]!;
    const { nodeId } = (await (await request(`${victim.url}/healthz`)).body.json()) as { nodeId: string };
    process.kill(readUpTopology(dir).workers.find((w) => w.nodeId === nodeId)!.pid, 'SIGKILL');
    const r = await statsUntil(
      up.url,
      'the node restarted',
      (s) => s.rows.length === 2 && s.rows.some((row) => row.restarts === 1 && row.url !== victim.url),
      30_000,
    );
    assert.ok(!r.rows.some((row) => row.url === victim.url), 'the dead node left the report');
  });
});

describe('`miniscale gateway`: static upstreams, discovered upstreams, several workers', { timeout: 180_000 }, () => {
  let api: ApiTopology;

  before(async () => {
    api = await startApiTopology({ nodes: 2 });
  });
  after(async () => {
    await api?.stop();
  });

  async function gateway(args: string[]): Promise<{ url: string; port: number; stop(): Promise<void> }> {
    // On every address, so that it can also be reached over a non-loopback one.
    const child = spawnTs('src/cli.ts', ['gateway', '--port', '0', '--host', '0.0.0.0', '--health-interval', '200', ...args], {
      MINISCALE_LOG_LEVEL: 'warn',
      MINISCALE_ADMIN_KEY: TEST_ADMIN_KEY,
    });
    const { url, port } = await listening<{ url: string; port: number }>(child, `gateway ${args.join(' ')}`, 60_000);
    return {
      url,
      port,
      async stop() {
        child.kill('SIGTERM');
        await finished(child, 15_000);
      },
    };
  }

  async function check(args: string[], store: { driver: string; seenBy: string }): Promise<void> {
    const gw = await gateway(args);
    const load = traffic(gw.url);
    try {
      const r = await statsUntil(
        gw.url,
        'busy',
        (s) => busy(s) && s.rows.length === 2 && s.rows.every((row) => row.now.rps > 0) && s.store?.driver === store.driver,
      );
      assertRows(
        r,
        api.nodes.map((n) => n.url),
      );
      assert.deepEqual({ driver: r.store!.driver, seenBy: r.store!.seenBy, ok: r.store!.ok }, { ...store, ok: true });
      await statusShows(
        gw.url,
        api.nodes.map((n) => n.url.replace('http://', '')),
        new RegExp(`store: ${store.driver} · ok`),
      );
      await pageShows(gw.url, 2);
    } finally {
      await load.stop();
      await gw.stop();
    }
  }

  it('static upstreams', () =>
    check(
      api.nodes.flatMap((n) => ['--upstream', n.url]),
      { driver: 'embedded', seenBy: 'probes' },
    ));

  it('over a non-loopback address: the page is served, its data only with the admin key', async () => {
    const gw = await gateway(api.nodes.flatMap((n) => ['--upstream', n.url]));
    const remote = nonLoopbackAddress();
    try {
      const base = `http://${remote.address}:${gw.port}`;
      const page = await request(`${base}/_gateway/`);
      assert.equal(page.statusCode, 200);
      assert.match(await page.body.text(), /Miniscale console/);
      for (const route of ['stats', 'upstreams', 'metrics']) {
        const refused = await request(`${base}/_gateway/${route}`);
        await refused.body.dump();
        assert.equal(refused.statusCode, 403, route);
      }
      const drain = await request(`${base}/_gateway/upstreams/${encodeURIComponent(api.nodes[0]!.url)}/drain`, { method: 'POST' });
      await drain.body.dump();
      assert.equal(drain.statusCode, 403);
      const keyed = await request(`${base}/_gateway/stats`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
      assert.equal(keyed.statusCode, 200);
      assert.equal(((await keyed.body.json()) as StatsReport).rows.length, 2);
    } finally {
      remote.release();
      await gw.stop();
    }
  });

  it('upstreams discovered from the store (the gateway pings the store itself)', () =>
    check(['--discover', '--store', 'embedded', '--data', api.dataDir], { driver: 'embedded', seenBy: 'gateway' }));

  it("two workers: the primary keeps one report from both workers' counts", async () => {
    const gw = await gateway(['--workers', '2', ...api.nodes.flatMap((n) => ['--upstream', n.url])]);
    // Fresh connections, so the primary hands them to both workers.
    const load = traffic(gw.url, 8);
    try {
      await statsUntil(gw.url, 'busy', (s) => busy(s) && s.rows.length === 2);
      // Both workers carry traffic (the connections are handed to them in turn): the
      // report's rate must be what was sent, not one worker's share of it.
      const sentBefore = load.sent();
      const t0 = Date.now();
      await sleep(6_000);
      const rate = (load.sent() - sentBefore) / ((Date.now() - t0) / 1000);
      const r = await readStats(gw.url);
      assertRows(
        r,
        api.nodes.map((n) => n.url),
      );
      const last = r.t.length - 1;
      let counted = 0;
      for (let i = last - 4; i <= last; i++) counted += r.rows.reduce((n, row) => n + (row.series.rps[i] ?? 0), 0);
      const ratio = counted / 5 / rate;
      assert.ok(ratio > 0.75 && ratio < 1.25, `the stats count ${(counted / 5).toFixed(0)} req/s of the ${rate.toFixed(0)} sent`);
      await pageShows(gw.url, 2);
    } finally {
      await load.stop();
      await gw.stop();
    }
  });
});

describe('miniscale status: bad flags and no answer', { timeout: 60_000 }, () => {
  for (const [args, message] of [
    [['--interval', '0'], /--interval must be a number of seconds/],
    [['--url', 'ftp://example.com'], /--url must be an http/],
    [['--url', 'not a url'], /--url must be an http/],
    [['--bogus'], /unknown option '--bogus'/],
  ] as const) {
    it(`${args.join(' ')}: one line, exit 2`, async () => {
      const r = await runMiniscale(['status', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    });
  }

  it('nothing listening: one line, exit 1', async () => {
    const r = await runMiniscale(['status', '--url', 'http://127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^miniscale: UPSTREAM_UNAVAILABLE: cannot reach http:\/\/127\.0\.0\.1:1\/_gateway\/stats: ECONNREFUSED\n$/);
  });
});
