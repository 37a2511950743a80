/**
 * Store faults: a redis-server SIGKILLed and started again on its data (only what
 * reached its append-only file survives), and a Redis Cluster primary SIGKILLed so its
 * replica takes over — then started again, to rejoin as a replica ("every killed node
 * came back").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { readClusterManifest } from '../../../src/redis-launcher/index.js';
import { runMiniscale, type TestCluster, type TestRedis } from '../../support/redis.js';
import type { History } from './history.js';
import { waitForOk } from './nemesis.js';

export async function killAndRestartRedis(h: History, redis: TestRedis, downMs: number): Promise<void> {
  const fault = h.fault('kill-redis', `SIGKILL redis-server PID ${redis.server.pid}, down ${downMs} ms`, true);
  process.kill(redis.server.pid, 'SIGKILL');
  await sleep(downMs);
  await redis.restart();
  fault.end = h.now();
  fault.recoveredMs = await waitForOk(h, fault, fault.end, ['put', 'incr']);
}

/** The port of the primary serving each key's slot, asked of the first node that answers. */
export async function ownersOf(ports: number[], keys: string[]): Promise<number[]> {
  let lastError: unknown;
  for (const port of ports) {
    const conn = new Redis({ port, host: '127.0.0.1', lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
    try {
      await conn.connect();
      const ranges = (await conn.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
      const out: number[] = [];
      for (const key of keys) {
        const slot = Number(await conn.call('CLUSTER', 'KEYSLOT', key));
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`no owner for slot ${slot}`);
        out.push(Number(range[2][1]));
      }
      return out;
    } catch (err) {
      lastError = err;
    } finally {
      conn.disconnect();
    }
  }
  throw lastError;
}

export interface PrimaryKillOptions {
  /**
   * This long before the primary is killed, SIGSTOP its replica and cut their link (the
   * replica is SIGCONTed right after the kill): a replica that lags, as one does on a
   * busy network. What the primary acknowledged meanwhile exists nowhere else — unless
   * writes wait for a replica.
   */
  lagReplicaMs?: number;
}

/**
 * SIGKILL of the primary that serves user 0's keys (so clients do write to it). Done
 * when a worker of an affected user has a write acknowledged again (the replica took
 * over); then the dead node is started again from its data and rejoins as a replica.
 */
export async function killPrimary(
  h: History,
  cluster: TestCluster,
  openids: string[],
  nodeTimeoutMs: number,
  o: PrimaryKillOptions = {},
): Promise<void> {
  const manifest = readClusterManifest(cluster.dir);
  if (!manifest) throw new Error('the cluster manifest is gone');
  const owners = await ownersOf(
    manifest.nodes.map((n) => n.port),
    openids.map((id) => `{u:${id}}`),
  );
  const victimPort = owners[0]!;
  const victim = manifest.nodes.find((n) => n.port === victimPort);
  if (!victim) throw new Error(`primary on port ${victimPort} is not in the manifest`);
  const affected = new Set(owners.flatMap((port, user) => (port === victimPort ? [`u${user}w`] : [])));
  let replica: { port: number; pid: number } | undefined;
  if (o.lagReplicaMs) {
    const replicaPort = await replicaOf(victimPort);
    replica = manifest.nodes.find((n) => n.port === replicaPort);
    if (!replica) throw new Error(`replica on port ${replicaPort} is not in the manifest`);
  }
  const kind = replica ? 'kill-primary-lagging-replica' : 'kill-primary';
  const fault = h.fault(
    kind,
    `SIGKILL primary :${victimPort} (PID ${victim.pid})${replica ? `, its replica :${replica.port} paused ${o.lagReplicaMs} ms before` : ''}; users ${[...affected].join(' ')}`,
    true,
  );
  if (replica) {
    // A paused process still has its kernel ACK what the primary sends (it would read it
    // all on SIGCONT): the primary must also drop the link, so nothing more reaches it.
    process.kill(replica.pid, 'SIGSTOP');
    try {
      await dropReplicaLinks(victimPort);
      await sleep(o.lagReplicaMs);
      process.kill(victim.pid, 'SIGKILL');
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
  } else {
    process.kill(victim.pid, 'SIGKILL');
  }
  const killedAt = h.now();
  // Failover first, then the dead node back (it rejoins as a replica). Only then is
  // recovery judged: with WAIT, a shard whose only replica was promoted has no replica
  // left, so its writes cannot be acknowledged until the old primary is back.
  const deadline = Date.now() + 60_000;
  while (
    (
      await ownersOf(
        manifest.nodes.filter((n) => n.port !== victimPort).map((n) => n.port),
        [`{u:${openids[0]}}`],
      )
    )[0] === victimPort
  ) {
    if (Date.now() > deadline) throw new Error(`${kind}: no replica took over :${victimPort} within 60 s`);
    await sleep(100);
  }
  const up = await runMiniscale(
    [
      'redis-cluster',
      'up',
      '--dir',
      cluster.dir,
      '--port',
      String(manifest.basePort),
      '--replicas',
      String(manifest.replicas),
      '--node-timeout',
      String(nodeTimeoutMs),
    ],
    { timeoutMs: 90_000 },
  );
  if (up.code !== 0) throw new Error(`restarting the killed primary failed: ${up.stderr}`);
  fault.recoveredMs = await waitForOk(h, fault, killedAt, ['put'], 60_000, (w) => affected.has(w.slice(0, w.indexOf('w') + 1)));
  fault.end = Math.max(h.now(), fault.start + fault.recoveredMs);
}

/** The port of a replica of the primary on `primaryPort` (CLUSTER REPLICAS asked of it). */
async function replicaOf(primaryPort: number): Promise<number> {
  const conn = new Redis({ port: primaryPort, host: '127.0.0.1', lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
  try {
    await conn.connect();
    const myself = String(await conn.call('CLUSTER', 'MYID'));
    const lines = (await conn.call('CLUSTER', 'REPLICAS', myself)) as string[];
    const addr = lines[0]?.split(' ')[1];
    if (!addr) throw new Error(`primary :${primaryPort} has no replica`);
    return Number(addr.split('@')[0]!.split(':')[1]);
  } finally {
    conn.disconnect();
  }
}

/** CLIENT KILL TYPE replica on the primary: its replication links close at once. */
async function dropReplicaLinks(primaryPort: number): Promise<void> {
  const conn = new Redis({ port: primaryPort, host: '127.0.0.1', lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
  try {
    await conn.connect();
    await conn.call('CLIENT', 'KILL', 'TYPE', 'replica');
  } finally {
    conn.disconnect();
  }
}
