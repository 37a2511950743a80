/**
 * `miniscale redis-cluster up|down` against real redis-server processes. The CLI runs as a
 * child process, exactly as a user or a script runs it; assertions go through redis-cli
 * and /proc, not through the launcher's own code, so a launcher bug cannot hide itself.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePortRange } from '../../src/core/ports.js';
import { CLUSTER_BUS_OFFSET } from '../../src/redis-launcher/index.js';
import { runMiniscale, startTestCluster, startTestRedis, tempDir, type TestCluster, type TestRedis } from '../support/redis.js';

const NODES = 6;
/** The launcher's SIGTERM→SIGKILL grace period, plus slack for a loaded machine. */
const STOP_DEADLINE_MS = 10_000 + 2_000;

function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 }, (err, stdout) =>
      err ? reject(new Error(err.message, { cause: err })) : resolve(stdout.trim()),
    );
  });
}

function readManifest(dir: string): { basePort: number; seedUrl: string; nodes: { port: number; pid: number }[] } {
  return JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8'));
}

/** Gone means no process, or a zombie waiting for init to reap it (it holds no port or file). */
function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return true;
  }
}

/** Every live redis-server serving one of these ports, found from /proc (not from the manifest). */
function redisServerPids(ports: number[]): number[] {
  const wanted = new RegExp(`redis-server .*:(${ports.join('|')})(\\s|$)`);
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return wanted.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
      } catch {
        return false;
      }
    })
    .map(Number)
    .sort((a, b) => a - b);
}

/** The ports of these on which 127.0.0.1 cannot listen right now. */
async function busyPorts(ports: number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) busy.push(port);
  }
  return busy;
}

function portsFrom(base: number): number[] {
  return Array.from({ length: NODES }, (_, i) => base + i);
}

describe('miniscale redis-cluster up/down', { timeout: 240_000 }, () => {
  let cluster: TestCluster | undefined;
  let bystander: TestRedis | undefined;
  let base = 0;
  /** Node IDs before `down`: a restart keeps them, a re-created cluster would not. */
  let nodeIds: string[] = [];

  before(async () => {
    cluster = await startTestCluster();
    base = readManifest(cluster.dir).basePort;
  });

  after(async () => {
    try {
      await cluster?.stop();
    } finally {
      await bystander?.stop();
    }
  });

  it('prints the seed URL of the base port as the only line on stdout', () => {
    assert.equal(cluster?.stdout, `redis://127.0.0.1:${base}\n`);
    assert.equal(cluster?.seedUrl, `redis://127.0.0.1:${base}`);
  });

  it('records six live redis-server PIDs, one per port, in the manifest', () => {
    const manifest = readManifest(cluster!.dir);
    assert.deepEqual(
      manifest.nodes.map((n) => n.port),
      portsFrom(base),
    );
    assert.deepEqual(
      manifest.nodes.map((n) => n.pid).sort((a, b) => a - b),
      redisServerPids(portsFrom(base)),
    );
  });

  it('every node reports cluster_state:ok with all 16384 slots assigned', async () => {
    for (const port of portsFrom(base)) {
      const info = await redisCli(port, 'cluster', 'info');
      assert.match(info, /^cluster_state:ok\r?$/m, `node ${port}`);
      assert.match(info, /^cluster_slots_assigned:16384\r?$/m, `node ${port}`);
      assert.match(info, /^cluster_known_nodes:6\r?$/m, `node ${port}`);
    }
  });

  it('has 3 primaries, each followed by exactly one of the 3 replicas', async () => {
    const roles = await Promise.all(portsFrom(base).map(async (port) => ({ port, role: (await redisCli(port, 'role')).split('\n') })));
    const primaries = roles.filter((r) => r.role[0] === 'master').map((r) => r.port);
    const replicas = roles.filter((r) => r.role[0] === 'slave');
    assert.equal(primaries.length, 3);
    assert.equal(replicas.length, 3);
    // ROLE of a replica: slave, master host, master port, state, offset.
    const followed = replicas.map((r) => Number(r.role[2])).sort((a, b) => a - b);
    assert.deepEqual(
      followed,
      [...primaries].sort((a, b) => a - b),
    );

    const nodes = (await redisCli(base, 'cluster', 'nodes')).split('\n').map((l) => l.split(' '));
    const withSlots = nodes.filter((f) => f[2]?.includes('master') && f.length > 8);
    assert.equal(withSlots.length, 3, 'three primaries own slots');
    assert.equal(nodes.filter((f) => f[2]?.includes('slave')).length, 3);
  });

  it('a key written with redis-cli -c reads back through another node', async () => {
    assert.equal(await redisCli(base, '-c', 'set', 'foo', 'bar'), 'OK');
    assert.equal(await redisCli(base + 4, '-c', 'get', 'foo'), 'bar');
  });

  it('up again while running prints the same URL and starts no process', async () => {
    const before = redisServerPids(portsFrom(base));
    const again = await runMiniscale(['redis-cluster', 'up', '--dir', cluster!.dir, '--port', String(base)], { timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `redis://127.0.0.1:${base}\n`);
    assert.deepEqual(redisServerPids(portsFrom(base)), before);
    assert.deepEqual(
      readManifest(cluster!.dir)
        .nodes.map((n) => n.pid)
        .sort((a, b) => a - b),
      before,
    );
  });

  it('up with a different --port on the same dir is refused', async () => {
    const other = await runMiniscale(['redis-cluster', 'up', '--dir', cluster!.dir, '--port', String(base + 100)]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, new RegExp(`ports ${base}-${base + 5}`));
    assert.equal(other.stdout, '');
  });

  it('down stops every PID in the manifest within the grace period and no other process', async () => {
    // Another redis-server: a launcher that killed by name would take it down too.
    bystander = await startTestRedis();
    nodeIds = await Promise.all(portsFrom(base).map((p) => redisCli(p, 'cluster', 'myid')));
    const pids = readManifest(cluster!.dir).nodes.map((n) => n.pid);
    const started = Date.now();
    const down = await runMiniscale(['redis-cluster', 'down', '--dir', cluster!.dir], { timeoutMs: 30_000 });
    assert.equal(down.code, 0, down.stderr);
    // `down` returns only once the servers have exited, so an `up` right after it finds
    // every client and bus port free.
    assert.deepEqual(
      pids.filter((pid) => !isGone(pid)),
      [],
      'every manifest PID is gone when down returns',
    );
    assert.deepEqual(await busyPorts(portsFrom(base).flatMap((p) => [p, p + CLUSTER_BUS_OFFSET])), [], 'every port is free');
    assert.ok(Date.now() - started < STOP_DEADLINE_MS);
    assert.equal(await redisCli(bystander.port, 'ping'), 'PONG', 'the other redis-server still runs');
    assert.equal(isGone(bystander.server.pid), false);
    assert.equal(existsSync(path.join(cluster!.dir, 'cluster.json')), false, 'manifest removed');
    assert.ok(existsSync(path.join(cluster!.dir, String(base), 'nodes.conf')), 'data kept without --purge');
  });

  it('up after down restarts the same cluster from its data instead of re-creating it', async () => {
    const again = await runMiniscale(['redis-cluster', 'up', '--dir', cluster!.dir], { timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `redis://127.0.0.1:${base}\n`);
    assert.equal(await redisCli(base + 2, '-c', 'get', 'foo'), 'bar', 'data survived');
    assert.deepEqual(await Promise.all(portsFrom(base).map((p) => redisCli(p, 'cluster', 'myid'))), nodeIds);
    assert.match(await redisCli(base, 'cluster', 'info'), /^cluster_state:ok\r?$/m);
    const pids = readManifest(cluster!.dir)
      .nodes.map((n) => n.pid)
      .sort((a, b) => a - b);
    assert.deepEqual(redisServerPids(portsFrom(base)), pids);
  });

  it('down --purge stops the nodes and deletes the data directory', async () => {
    const pids = readManifest(cluster!.dir).nodes.map((n) => n.pid);
    const down = await runMiniscale(['redis-cluster', 'down', '--dir', cluster!.dir, '--purge'], { timeoutMs: 30_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(
      pids.filter((pid) => !isGone(pid)),
      [],
    );
    assert.equal(existsSync(cluster!.dir), false);
  });
});

describe('miniscale redis-cluster up on a busy port', { timeout: 60_000 }, () => {
  it('exits non-zero, names the port and leaves no server running', async (t) => {
    const tmp = tempDir('miniscale-busy-');
    const base = await freePortRange(NODES, CLUSTER_BUS_OFFSET);
    const busy = base + 2;
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve));
    t.after(async () => {
      await new Promise((resolve) => blocker.close(resolve));
      // Should the launcher have started anything despite the error, stop it by PID.
      await runMiniscale(['redis-cluster', 'down', '--dir', tmp.path]);
      tmp.cleanup();
    });

    const up = await runMiniscale(['redis-cluster', 'up', '--dir', tmp.path, '--port', String(base)], { timeoutMs: 30_000 });
    assert.notEqual(up.code, 0);
    assert.match(up.stderr, new RegExp(`port ${busy}\\b.*in use`));
    assert.equal(up.stdout, '');
    assert.deepEqual(redisServerPids(portsFrom(base)), []);
    assert.equal(existsSync(path.join(tmp.path, 'cluster.json')), false);
  });
});
