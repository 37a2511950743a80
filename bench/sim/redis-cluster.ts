/**
 * The simulation's Redis Cluster, laid out over the app hosts by redis-layout.ts: each
 * server runs inside its host's namespace, bound to the host's address. Formed with
 * `redis-cli --cluster create` for the primaries (slot allocation as Redis users know
 * it), then each replica is told whose replica it is (CLUSTER REPLICATE) — redis-cli
 * would place replicas by its own rules, and the layout is the point here.
 * A server's data and nodes.conf live in its own directory, so a server killed with its
 * host starts again from them and rejoins as a replica.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startTracked } from '../support/processes.js';
import type { Host } from './network.js';
import { planRedisLayout, type RedisNodePlan } from './redis-layout.js';

const run = promisify(execFile);
/**
 * How long a primary may be silent before its replicas take over; a failover takes about
 * this plus a second, and that is the window in which writes to its slots fail. Short,
 * as on a quiet LAN: measured here, 2000 ms made kill-host fail about 1.2 % of requests.
 */
export const NODE_TIMEOUT_MS = 1_000;

export interface SimRedisNode extends RedisNodePlan {
  hostName: string;
  ip: string;
  dir: string;
  child?: ChildProcess;
}

export interface SimRedisCluster {
  nodes: SimRedisNode[];
  /** Comma-separated redis:// seeds, one per primary's host. */
  seedUrl: string;
  /** Starts again every server of `hostName` that is not running (after its host was killed). */
  restartHost(hostName: string): Promise<void>;
  /** Every server answers, every slot is covered and every primary has all its replicas. */
  waitWhole(timeoutMs: number): Promise<void>;
}

export async function startSimRedisCluster(hosts: Host[], dataDir: string, shards: number, replicas: number): Promise<SimRedisCluster> {
  const nodes: SimRedisNode[] = planRedisLayout(hosts.length, shards, replicas).map((p) => ({
    ...p,
    hostName: hosts[p.host]!.name,
    ip: hosts[p.host]!.ip,
    dir: path.join(dataDir, `redis-${hosts[p.host]!.name}-${p.port}`),
  }));
  const hostOf = (n: SimRedisNode) => hosts.find((h) => h.name === n.hostName)!;
  await Promise.all(nodes.map((n) => launch(n, hostOf(n))));
  const primaries = nodes.filter((n) => n.copy === 0);
  await redisCli(['--cluster', 'create', ...primaries.map((n) => `${n.ip}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (const replica of nodes.filter((n) => n.copy > 0)) {
    const primary = primaries.find((p) => p.shard === replica.shard)!;
    await replicate(replica, primary);
  }
  const cluster: SimRedisCluster = {
    nodes,
    seedUrl: primaries.map((n) => `redis://${n.ip}:${n.port}`).join(','),
    restartHost: async (hostName) => {
      await Promise.all(nodes.filter((n) => n.hostName === hostName && !running(n)).map((n) => launch(n, hostOf(n))));
    },
    waitWhole: (timeoutMs) => waitWhole(nodes, shards, replicas, timeoutMs),
  };
  await cluster.waitWhole(60_000);
  return cluster;
}

async function launch(n: SimRedisNode, host: Host): Promise<void> {
  mkdirSync(n.dir, { recursive: true });
  const [cmd, args] = host.exec('redis-server', [
    '--bind',
    n.ip,
    '--port',
    String(n.port),
    '--dir',
    n.dir,
    '--protected-mode',
    'no',
    '--daemonize',
    'no',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(NODE_TIMEOUT_MS),
    '--appendonly',
    'yes',
    '--save',
    '',
    '--loglevel',
    'warning',
  ]);
  n.child = startTracked(cmd, args, { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (n.child.exitCode !== null) throw new Error(`redis-server on ${n.hostName} ${n.ip}:${n.port} exited with ${n.child.exitCode}`);
    if (await ping(n)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${n.hostName} ${n.ip}:${n.port} does not answer`);
    await sleep(100);
  }
}

function running(n: SimRedisNode): boolean {
  return n.child !== undefined && n.child.exitCode === null && n.child.signalCode === null;
}

function connect(n: { ip: string; port: number }): Redis {
  const conn = new Redis({
    host: n.ip,
    port: n.port,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  conn.on('error', () => undefined); // connect() rejects with it; this only keeps ioredis from printing it
  return conn;
}

async function ask<T>(n: { ip: string; port: number }, ...args: string[]): Promise<T> {
  const conn = connect(n);
  try {
    await conn.connect();
    return (await conn.call(args[0]!, ...args.slice(1))) as T;
  } finally {
    conn.disconnect();
  }
}

async function ping(n: SimRedisNode): Promise<boolean> {
  try {
    return (await ask<string>(n, 'PING')) === 'PONG';
  } catch {
    return false;
  }
}

async function redisCli(args: string[]): Promise<void> {
  const { stdout, stderr } = await run('redis-cli', args, { timeout: 60_000 });
  if (/\[ERR\]/.test(stdout + stderr))
    throw new Error(
      `redis-cli ${args.slice(0, 2).join(' ')}: ${(stdout + stderr)
        .split('\n')
        .filter((l) => /ERR/.test(l))
        .join(' | ')}`,
    );
}

/** MEET the primary, wait until gossip has told the replica its id, then REPLICATE it. */
async function replicate(replica: SimRedisNode, primary: SimRedisNode): Promise<void> {
  const primaryId = await ask<string>(primary, 'CLUSTER', 'MYID');
  await ask(replica, 'CLUSTER', 'MEET', primary.ip, String(primary.port));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await ask(replica, 'CLUSTER', 'REPLICATE', primaryId);
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${replica.ip}:${replica.port} cannot replicate ${primary.ip}:${primary.port}: ${(err as Error).message}`);
      await sleep(200);
    }
  }
}

async function waitWhole(nodes: SimRedisNode[], shards: number, replicas: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let why = '';
  while (Date.now() < deadline) {
    why = await problem(nodes, shards, replicas);
    if (!why) return;
    await sleep(250);
  }
  throw new Error(`the Redis Cluster is not whole within ${timeoutMs} ms: ${why}`);
}

/** What keeps the cluster from being whole, or '' when it is. */
async function problem(nodes: SimRedisNode[], shards: number, replicas: number): Promise<string> {
  let primaries = 0;
  for (const n of nodes) {
    try {
      const info = await ask<string>(n, 'CLUSTER', 'INFO');
      if (!/cluster_state:ok/.test(info)) return `${n.ip}:${n.port} is not ok`;
      const repl = await ask<string>(n, 'INFO', 'replication');
      if (/role:master/.test(repl)) {
        primaries++;
        const connected = Number(/connected_slaves:(\d+)/.exec(repl)?.[1] ?? 0);
        if (connected < replicas) return `primary ${n.ip}:${n.port} has ${connected} of ${replicas} replicas`;
      } else if (!/master_link_status:up/.test(repl)) {
        return `replica ${n.ip}:${n.port} is not in sync`;
      }
    } catch (err) {
      return `${n.ip}:${n.port}: ${(err as Error).message}`;
    }
  }
  return primaries === shards ? '' : `${primaries} primaries, expected ${shards}`;
}
