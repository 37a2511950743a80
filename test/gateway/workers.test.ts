/**
 * `miniscale gateway --workers N` as real processes: one port served by N forked
 * workers, admin routes that answer for all of them (the merged view, a drain every
 * worker applies — also one restarted after a crash — and summed metrics), a worker
 * that dies is replaced, SIGTERM lets in-flight requests finish, and a worker that
 * cannot start stops the whole gateway with its exit code, and a SIGTERM while the
 * workers start stops them all.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { ChildProcess } from 'node:child_process';
import { finished, killAll, listening, spawnTs } from '../support/processes.js';
import { WorkerLink } from '../../src/gateway/workers/link.js';
import { gateway, startUpstreams, waitFor, type UpstreamHandle } from './helpers.js';

interface Listening {
  url: string;
  port: number;
  pid: number;
  workers: number;
  workerPids: number[];
}
interface View {
  workers?: number;
  upstreams: Array<{ url: string; state: string; states: Record<string, number>; requests: number }>;
}

function startWorkers(
  ups: UpstreamHandle[],
  extra: string[] = [],
  opts: { ipc?: boolean } = {},
): { child: ChildProcess; ready: Promise<Listening>; lines: string[] } {
  const child = spawnTs(
    'src/cli.ts',
    [
      'gateway',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--workers',
      '2',
      '--health-interval',
      '200',
      ...ups.flatMap((u) => ['--upstream', u.url]),
      ...extra,
    ],
    {},
    opts,
  );
  const lines: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  return { child, ready: listening<Listening>(child, 'gateway --workers 2', 60_000), lines };
}

/** Parent PID of a process, from /proc (undefined once it is gone). */
function ppidOf(pid: number): number | undefined {
  try {
    return Number(
      readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ')[1],
    );
  } catch {
    return undefined;
  }
}

/** PIDs whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** One GET on its own connection, so the primary hands each to the next worker. */
async function getFresh(url: string): Promise<number> {
  const res = await request(url, { reset: true });
  await res.body.dump();
  return res.statusCode;
}

async function view(url: string): Promise<View> {
  const res = await request(`${url}/_gateway/upstreams`);
  assert.equal(res.statusCode, 200);
  return (await res.body.json()) as View;
}

describe('gateway --workers', { timeout: 180_000 }, () => {
  let ups: UpstreamHandle[];
  before(async () => {
    ups = await startUpstreams(3);
  });
  after(() => killAll());

  it('serves one port from two workers; the admin routes answer for both', async () => {
    const gw = startWorkers(ups);
    const info = await gw.ready;
    assert.equal(info.workers, 2);
    assert.equal(new Set(info.workerPids).size, 2);
    for (const pid of info.workerPids) assert.equal(ppidOf(pid), info.pid, `worker ${pid} is a child of the primary`);

    const statuses = await Promise.all(Array.from({ length: 120 }, () => getFresh(`${info.url}/`)));
    assert.deepEqual([...new Set(statuses)], [200]);
    // The access log says which worker answered: connections went to both.
    const byWorker: Record<string, number> = {};
    await waitFor('120 access log lines', () => gw.lines.filter((l) => l.includes('"msg":"request"')).length >= 120, 5_000);
    for (const l of gw.lines.filter((x) => x.includes('"msg":"request"'))) {
      const w = (JSON.parse(l) as { worker: string }).worker;
      byWorker[w] = (byWorker[w] ?? 0) + 1;
    }
    assert.deepEqual(Object.keys(byWorker).sort(), ['1', '2'], JSON.stringify(byWorker));
    assert.ok(Math.min(...Object.values(byWorker)) >= 30, `round-robin over the workers: ${JSON.stringify(byWorker)}`);

    const v = await view(info.url);
    assert.equal(v.workers, 2);
    assert.equal(
      v.upstreams.reduce((n, u) => n + u.requests, 0),
      120,
      'requests summed over the workers',
    );
    for (const u of v.upstreams) assert.deepEqual(u.states, { healthy: 2 });

    const metrics = await (await request(`${info.url}/_gateway/metrics`)).body.text();
    const answered = [...metrics.matchAll(/^miniscale_gateway_requests_total\{[^}]*status="200"[^}]*\} (\d+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    assert.equal(answered, 120, 'metrics summed over the workers');

    gw.child.kill('SIGTERM');
    const r = await finished(gw.child, 30_000);
    assert.equal(r.code, 0);
    for (const pid of info.workerPids) await waitFor(`worker ${pid} gone`, () => ppidOf(pid) === undefined, 5_000);
  });

  it('a drain reaches every worker, and a worker restarted after a crash gets it too', async () => {
    const gw = startWorkers(ups, ['--no-access-log']);
    const info = await gw.ready;
    const drained = ups[1]!;
    const res = await request(`${info.url}/_gateway/upstreams/${encodeURIComponent(drained.url)}/drain`, { method: 'POST' });
    const body = (await res.body.json()) as { state: string; states: Record<string, number> };
    assert.equal(res.statusCode, 200);
    assert.deepEqual(body.states, { draining: 2 });

    const before = (await drained.stats()).total;
    await Promise.all(Array.from({ length: 60 }, () => getFresh(`${info.url}/`)));
    assert.equal((await drained.stats()).total, before, 'no worker sent the drained upstream anything');

    // A worker dies; the primary starts another, which must not forget the drain.
    process.kill(info.workerPids[0]!, 'SIGKILL');
    await waitFor(
      'a replacement worker',
      () => {
        const now = childrenOf(info.pid);
        return now.length === 2 && !now.includes(info.workerPids[0]!);
      },
      15_000,
    );
    await waitFor('both workers answering', async () => (await view(info.url)).workers === 2, 15_000);
    const after = (await view(info.url)).upstreams.find((u) => u.url === drained.url)!;
    assert.deepEqual(after.states, { draining: 2 });
    await Promise.all(Array.from({ length: 60 }, () => getFresh(`${info.url}/`)));
    assert.equal((await drained.stats()).total, before, 'the replacement worker honours the drain');

    const unknown = await request(`${info.url}/_gateway/upstreams/127.0.0.1:1/drain`, { method: 'POST' });
    assert.equal(unknown.statusCode, 404);
    await unknown.body.dump();

    // Undrained while a worker restarts (forked with the drain, not yet listening): the
    // replacement must not keep it drained. Metrics scraped meanwhile answer at once.
    const [survivor] = childrenOf(info.pid).filter((p) => p !== info.workerPids[0]);
    const victim = childrenOf(info.pid).find((p) => p !== survivor)!;
    process.kill(victim, 'SIGKILL');
    await waitFor('the replacement to be forked', () => childrenOf(info.pid).some((p) => p !== survivor && p !== victim), 15_000, 20);
    const undrain = await request(`${info.url}/_gateway/upstreams/${encodeURIComponent(drained.url)}/undrain`, { method: 'POST' });
    assert.equal(undrain.statusCode, 200);
    await undrain.body.dump();
    const scrapeStarted = Date.now();
    const scrape = await request(`${info.url}/_gateway/metrics`);
    assert.equal(scrape.statusCode, 200, 'a starting worker does not fail the scrape');
    await scrape.body.dump();
    assert.ok(Date.now() - scrapeStarted < 2_000, `the scrape did not wait for the starting worker (${Date.now() - scrapeStarted} ms)`);
    await waitFor(
      'the undrain to reach both workers',
      async () => {
        const v = await view(info.url);
        return v.workers === 2 && v.upstreams.find((u) => u.url === drained.url)!.states.draining === undefined;
      },
      15_000,
      100,
    );
    gw.child.kill('SIGTERM');
    assert.equal((await finished(gw.child, 30_000)).code, 0);
  });

  it('SIGTERM lets in-flight requests finish, then every worker exits (an IPC parent too)', async () => {
    // Started with an IPC channel, as by a supervisor: the channel must not keep it alive.
    const gw = startWorkers(ups, ['--no-access-log'], { ipc: true });
    const info = await gw.ready;
    await Promise.all(ups.map((u) => u.knobs({ latencyMs: 800 })));
    try {
      const inFlight = Promise.all(Array.from({ length: 6 }, () => getFresh(`${info.url}/slow`)));
      await new Promise((r) => setTimeout(r, 300));
      gw.child.kill('SIGTERM');
      assert.deepEqual(await inFlight, [200, 200, 200, 200, 200, 200]);
      assert.equal((await finished(gw.child, 30_000)).code, 0);
      for (const pid of info.workerPids) assert.equal(ppidOf(pid), undefined, `worker ${pid} exited`);
    } finally {
      await Promise.all(ups.map((u) => u.knobs({ latencyMs: 0 })));
    }
  });

  it("Ctrl-C (SIGINT to every process of the group) lets in-flight requests finish: a worker's drain survives the primary's SIGTERM", async () => {
    const gw = startWorkers(ups, ['--no-access-log']);
    const info = await gw.ready;
    await Promise.all(ups.map((u) => u.knobs({ latencyMs: 1_500 })));
    try {
      const inFlight = Promise.all(Array.from({ length: 6 }, () => getFresh(`${info.url}/slow`)));
      await new Promise((r) => setTimeout(r, 300));
      // What a terminal does: the same signal to the whole foreground process group. The
      // primary then stops its workers with SIGTERM, which they hear while draining.
      for (const pid of info.workerPids) process.kill(pid, 'SIGINT');
      gw.child.kill('SIGINT');
      assert.deepEqual(await inFlight, [200, 200, 200, 200, 200, 200]);
      assert.equal((await finished(gw.child, 30_000)).code, 0);
      for (const pid of info.workerPids) assert.equal(ppidOf(pid), undefined, `worker ${pid} exited`);
    } finally {
      await Promise.all(ups.map((u) => u.knobs({ latencyMs: 0 })));
    }
  });

  it('a worker that cannot listen stops the gateway with its exit code', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const child = spawnTs('src/cli.ts', [
        'gateway',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--workers',
        '2',
        '--upstream',
        ups[0]!.url,
      ]);
      const r = await finished(child, 60_000);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, /EADDRINUSE/);
      assert.deepEqual(childrenOf(child.pid!), [], 'no worker left behind');
    } finally {
      taken.close();
    }
  });

  it('SIGTERM while the workers are still starting stops them all, and the primary exits 0', async () => {
    // A "Redis" that accepts connections and never answers keeps the workers starting.
    const sockets = new Set<net.Socket>();
    const blackhole = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', () => r()));
    const storeUrl = `redis://127.0.0.1:${(blackhole.address() as net.AddressInfo).port}`;
    try {
      const child = spawnTs('src/cli.ts', [
        'gateway',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--workers',
        '2',
        '--discover',
        '--store',
        'redis',
        '--store-url',
        storeUrl,
      ]);
      const exit = finished(child, 30_000);
      await waitFor('two workers forked', () => childrenOf(child.pid!).length === 2, 20_000, 20);
      await waitFor('the workers to reach the store', () => sockets.size >= 2, 20_000, 20);
      const workers = childrenOf(child.pid!);
      child.kill('SIGTERM');
      const r = await exit;
      assert.equal(r.code, 0, `the primary stopped cleanly (signal ${r.signal}); stderr: ${r.stderr.slice(-500)}`);
      assert.doesNotMatch(r.stdout, /"listening"/, 'it never claimed to listen');
      for (const pid of workers) await waitFor(`worker ${pid} gone`, () => ppidOf(pid) === undefined, 5_000);
    } finally {
      for (const s of sockets) s.destroy();
      blackhole.close();
    }
  });
});

describe("a worker's link to the primary (in process)", () => {
  it("keeps the primary's drain set: exactly those upstreams drained, also ones it discovers later", async () => {
    const sent: unknown[] = [];
    const link = new WorkerLink((m) => sent.push(m));
    const gw = await gateway({ upstreams: ['http://127.0.0.1:1'], healthChecks: { intervalMs: 0 }, cluster: link });
    const stateOf = (url: string) => gw.upstreams.find((u) => u.url === url)?.state;
    try {
      link.onMessage({ ms: 'local', id: 0, op: { op: 'sync-drained', drained: ['http://127.0.0.1:1', 'http://127.0.0.1:2'] } });
      await waitFor('the sync to be applied', () => stateOf('http://127.0.0.1:1') === 'draining', 2_000, 10);
      // Discovered after another worker drained it (as --discover would add it).
      gw.addUpstream('http://127.0.0.1:2');
      gw.addUpstream('http://127.0.0.1:3');
      assert.equal(stateOf('http://127.0.0.1:2'), 'draining', 'a node named in the set is drained on arrival');
      assert.equal(stateOf('http://127.0.0.1:3'), 'healthy');

      link.onMessage({ ms: 'local', id: 7, op: { op: 'sync-drained', drained: ['http://127.0.0.1:3'] } });
      await waitFor('the second sync, answered', () => sent.length === 1, 2_000, 10);
      assert.deepEqual(
        gw.upstreams.map((u) => u.state),
        ['healthy', 'healthy', 'draining'],
        'exactly the set, undrains included',
      );
    } finally {
      await gw.close();
    }
  });
});
