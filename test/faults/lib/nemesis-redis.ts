/**
 * Store faults: a redis-server SIGKILLed and started again on its data (only what
 * reached its append-only file survives), and a Redis Cluster primary SIGKILLed so its
 * replica takes over — then started again, to rejoin as a replica ("every killed node
 * came back").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { readClusterManifest } from '../../../src/cluster/redis-cluster.js';
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

/**
 * SIGKILL of the primary that serves user 0's keys (so clients do write to it). Done
 * when a worker of an affected user has a write acknowledged again (the replica took
 * over); then the dead node is started again from its data and rejoins as a replica.
 */
export async function killPrimary(h: History, cluster: TestCluster, openids: string[], nodeTimeoutMs: number): Promise<void> {
  const manifest = readClusterManifest(cluster.dir);
  const owners = await ownersOf(manifest?.nodes.map((n) => n.port) ?? [], openids.map((id) => `{u:${id}}`));
  const victimPort = owners[0]!;
  const victim = manifest?.nodes.find((n) => n.port === victimPort);
  if (!victim) throw new Error(`primary on port ${victimPort} is not in the manifest`);
  const affected = new Set(owners.flatMap((port, user) => (port === victimPort ? [`u${user}w`] : [])));
  const fault = h.fault('kill-primary', `SIGKILL primary :${victimPort} (PID ${victim.pid}), users ${[...affected].join(' ')}`, true);
  process.kill(victim.pid, 'SIGKILL');
  fault.recoveredMs = await waitForOk(h, fault, fault.start, ['put'], 60_000, (w) => affected.has(w.slice(0, w.indexOf('w') + 1)));
  fault.end = fault.start + fault.recoveredMs;
  const up = await runMiniscale(['redis-cluster', 'up', '--dir', cluster.dir, '--port', String(manifest!.basePort),
    '--replicas', String(manifest!.replicas), '--node-timeout', String(nodeTimeoutMs)], { timeoutMs: 90_000 });
  if (up.code !== 0) throw new Error(`restarting the killed primary failed: ${up.stderr}`);
}
