/**
 * The systems of the comparison (names.ts), each behind one URL, with what the scenarios
 * need: its wrk scripts, its processes grouped for CPU accounting, and a way to kill one
 * of its nodes (and, for the peers, which have no supervisor, to bring it back off the clock).
 */
import { request } from 'undici';
import { login, preloadNode, preloadPeer, valueOf } from '../api/workload.js';
import type { ProcessGroups } from './process-tree.js';
import { miniscaleScripts, peerScripts, type Scripts } from './scripts.js';
import { killNode, startUp, type UpSystem } from './miniscale.js';
import type { SystemName, Topology } from './names.js';
import { backendPort, startLoadBalancer, startNodeBackend, startPhpBackend, type Backend, type LoadBalancer } from './seed-stack.js';
import { preloadLeaderboard } from './leaderboard.js';

export interface System {
  name: SystemName;
  url: string;
  scripts: Scripts;
  /**
   * Process groups, for CPU seconds per group. Order matters: a process counts in the
   * first group whose root it descends from (`up`'s nodes before `up` itself).
   */
  groups(): ProcessGroups;
  /**
   * SIGKILLs one node now. `recovered` resolves with the recovery time (ms) if the
   * system recovers by itself; `heldConnections`: the client connections the killed
   * node held, where clients connect to it directly (one hop).
   */
  killOne(): Promise<{
    recovered: Promise<number | null>;
    heldConnections?: number;
    beforeEnd?: () => Promise<string>;
    afterRun(): Promise<void>;
  }>;
  stop(): Promise<void>;
}

/** Peers: PHP backends (serving both PHP flavours), kv.js processes, and their three front nginx. */
export interface Peers {
  php: Backend[];
  kvjs: Backend[];
  systems: System[];
}

export async function startPeers(redis: { port: number; pid: number }): Promise<Peers> {
  const php: Backend[] = [];
  const kvjs: Backend[] = [];
  for (let i = 0; i < 3; i++) php.push(await startPhpBackend(i, redis.port));
  for (let i = 0; i < 3; i++) kvjs.push(await startNodeBackend(i, redis.port));
  const scripts = peerScripts();
  const peer = async (name: SystemName, lb: LoadBalancer, backends: Backend[]): Promise<System> => ({
    name,
    url: lb.url,
    scripts,
    groups: () => ({ lb: [lb.pid], backends: backends.flatMap((b) => b.pids()), redis: [redis.pid] }),
    killOne: async () => {
      const victim = backends[backends.length - 1]!;
      await victim.kill();
      return { recovered: Promise.resolve(null), afterRun: () => victim.restart() };
    },
    stop: () => lb.stop(),
  });
  const systems = [
    await peer(
      'seed-php',
      await startLoadBalancer(
        'seed-php',
        'literal',
        php.map((b) => backendPort(b, 'connect')),
      ),
      php,
    ),
    await peer(
      'seed-php-keepalive',
      await startLoadBalancer(
        'seed-php-keepalive',
        'keepalive',
        php.map((b) => backendPort(b, 'pconnect')),
      ),
      php,
    ),
    await peer(
      'node-naive',
      await startLoadBalancer(
        'node-naive',
        'keepalive',
        kvjs.map((b) => backendPort(b, 'node')),
      ),
      kvjs,
    ),
  ];
  await preloadPeer(redis.port, systems[2]!.url);
  for (const s of systems) await checkPeer(s);
  return { php, kvjs, systems };
}

/** Each peer answers the preloaded k42 through its load balancer before any load. */
async function checkPeer(s: System): Promise<void> {
  const res = await request(`${s.url}/kv?key=k42`);
  const text = await res.body.text();
  if (res.statusCode !== 200 || (JSON.parse(text) as { value?: string }).value !== valueOf(42)) {
    throw new Error(`${s.name} check failed: ${res.statusCode} ${text}`);
  }
}

/**
 * `miniscale up` (one hop, or `--gateway`; embedded, or on the peers' redis-server), its
 * users signed in and their data preloaded. CPU groups: the nodes first (they are
 * `up`'s children), then `up` itself — one hop's "primary" (it accepts connections and
 * hands them to the workers), `--gateway`'s "gateway".
 */
export async function startMiniscale(
  name: SystemName,
  o: { topology: Topology; nodes?: number; redis?: { url: string; pid: number }; leaderboard?: boolean },
): Promise<System & { up: UpSystem }> {
  const up = await startUp({
    topology: o.topology,
    nodes: o.nodes,
    storeArgs: o.redis ? ['--store', 'redis', '--store-url', o.redis.url] : [],
  });
  const tokens = await login(up.url, `${name}-${process.pid}-${Date.now()}`);
  await preloadNode(up.url, tokens);
  if (o.leaderboard !== false) await preloadLeaderboard(up.url);
  const front = o.topology === 'one-hop' ? 'primary' : 'gateway';
  return {
    name,
    url: up.url,
    up,
    scripts: miniscaleScripts(tokens),
    groups: () => ({ nodes: up.nodePids(), [front]: [up.upPid], ...(o.redis ? { redis: [o.redis.pid] } : {}) }),
    killOne: async () => {
      const killed = await killNode(up);
      return {
        recovered: killed.recovered,
        heldConnections: killed.heldConnections,
        beforeEnd: killed.connections,
        afterRun: async () => {
          await killed.recovered.catch(() => undefined);
        },
      };
    },
    stop: () => up.stop(),
  };
}
