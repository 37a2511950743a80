/**
 * Miniscale as a user runs it: the BUILT `miniscale up` (dist/cli.js), default settings
 * except what a benchmark from one IP needs (rate limits off: 0) and what the peers do
 * too (no access log, log level warn: nginx runs with access_log off). Two topologies:
 *   - one hop (the default): the `up` process is node:cluster's primary — it accepts
 *     each connection and hands it to a worker — and its API node workers are its
 *     cluster children, all serving the one public port;
 *   - `up --gateway`: the gateway runs inside the `up` process, the nodes are its child
 *     processes on their own ports.
 * Either way the nodes are found through DATA/topology.json (`workers`), and
 * `/_gateway/upstreams` says who serves (recovery.ts reads it).
 *
 * For the slow-node scenario, the same parts started one by one instead
 * (`miniscale node` × 3 on one embedded data dir, `miniscale gateway --upstream …`), so
 * the third upstream can be the delay proxy, exactly as for nginx.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { freePort } from '../../src/core/ports.js';
import { CLI, REPO, requireBuilt, startTracked, stop, tempDir, waitForLine } from '../support/processes.js';
import type { Topology } from './names.js';
import { atFullStrength, connectionsNote, identity, pickVictim, type UpstreamView, type Victim } from './recovery.js';

const BENCH_ENV = {
  MINISCALE_RATE_LIMIT_USER: '0',
  MINISCALE_RATE_LIMIT_IP: '0',
  MINISCALE_RATE_LIMIT_LOGIN: '0',
  MINISCALE_LOG_LEVEL: 'warn',
};

export interface UpSystem {
  url: string;
  topology: Topology;
  /** The `up` process: the cluster primary (one hop), or supervisor and gateway (`--gateway`). */
  upPid: number;
  dataDir: string;
  nodeCount: number;
  /** The API nodes' PIDs now (they change when a killed node is replaced). */
  nodePids(): number[];
  stop(): Promise<void>;
}

interface TopologyFile {
  topology: Topology;
  url: string;
  workers: { nodeId: string; pid: number }[];
}

function readTopology(dataDir: string): TopologyFile {
  return JSON.parse(readFileSync(path.join(dataDir, 'topology.json'), 'utf8')) as TopologyFile;
}

/** `miniscale up [--gateway] --nodes N` (dev mode: its own WeChat emulator) on a fresh data dir. */
export async function startUp(o: { topology: Topology; nodes?: number; storeArgs?: string[] }): Promise<UpSystem> {
  requireBuilt('bench');
  const dataDir = tempDir('miniscale-bench-up-');
  const port = await freePort();
  const args = [
    CLI,
    'up',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--data',
    dataDir,
    '--no-access-log',
    ...(o.topology === 'gateway' ? ['--gateway'] : []),
    ...(o.nodes ? ['--nodes', String(o.nodes)] : []),
    ...(o.storeArgs ?? []),
  ];
  const child = startTracked(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...BENCH_ENV, MINISCALE_WECHAT_APPID: '', MINISCALE_WECHAT_SECRET: '' },
  });
  await waitForLine(child, /Miniscale is up/, 'miniscale up', 60_000);
  const topology = readTopology(dataDir);
  if (topology.topology !== o.topology)
    throw new Error(`miniscale up ${args.slice(2).join(' ')} reports topology "${topology.topology}", not "${o.topology}"`);
  return {
    url: topology.url.replace('0.0.0.0', '127.0.0.1'),
    topology: o.topology,
    upPid: child.pid!,
    dataDir,
    nodeCount: topology.workers.length,
    nodePids: () => readTopology(dataDir).workers.map((w) => w.pid),
    stop: () => stop(child, 'SIGTERM'),
  };
}

/** How long one question to `/_gateway/upstreams` may take before it is given up (and asked again). */
const VIEW_TIMEOUT_MS = 2_000;

/**
 * `GET /_gateway/upstreams`, on a connection of its own, closed after: in the one-hop
 * topology a connection is one worker's, and a kept-alive one would count in that
 * worker's `connections` (and die with it). `answeredBy` is the answer's X-Node-Id.
 * Bounded: a connection node:cluster hands to a worker in the instant it dies is never
 * answered (seen right after a SIGKILL).
 */
export async function upstreamsView(url: string): Promise<{ upstreams: UpstreamView[]; answeredBy?: string }> {
  const client = new Client(url, { pipelining: 0 });
  try {
    const res = await client.request({
      method: 'GET',
      path: '/_gateway/upstreams',
      headers: { connection: 'close' },
      signal: AbortSignal.timeout(VIEW_TIMEOUT_MS),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`/_gateway/upstreams: ${res.statusCode} ${text}`);
    const node = res.headers['x-node-id'];
    return {
      upstreams: (JSON.parse(text) as { upstreams: UpstreamView[] }).upstreams,
      answeredBy: typeof node === 'string' ? node : undefined,
    };
  } finally {
    await client.destroy();
  }
}

export async function gatewayUpstreams(url: string): Promise<UpstreamView[]> {
  return (await upstreamsView(url)).upstreams;
}

/** A killed node: the connections it held (one hop; the gateway's nodes hold only the gateway's), and when the system was whole again. */
export interface Killed {
  heldConnections?: number;
  /** ms from the SIGKILL until `up` had all its nodes serving again, one of them new. */
  recovered: Promise<number>;
  /** One hop: the load's connections per worker now. */
  connections?: () => Promise<string>;
}

/**
 * SIGKILLs one of `up`'s nodes. One hop: a worker picked from `/_gateway/upstreams`
 * (recovery.ts: not the one answering), its `connections` read in the same answer,
 * right before the kill. `--gateway`: the first node of topology.json.
 */
export async function killNode(up: UpSystem): Promise<Killed> {
  const view = await upstreamsView(up.url);
  const before = new Set(view.upstreams.map(identity));
  let victim: Victim | undefined;
  if (up.topology === 'one-hop') victim = pickVictim(view.upstreams, view.answeredBy);
  const pid = victim?.pid ?? up.nodePids()[0]!;
  const since = performance.now();
  process.kill(pid, 'SIGKILL');
  const recovered = waitForRecovery(up.url, up.nodeCount, before, since);
  recovered.catch(() => undefined); // awaited after the run
  const connections = async () => {
    const now = await upstreamsView(up.url);
    return `connections per worker near the end: ${connectionsNote(now.upstreams, now.answeredBy, before)}`;
  };
  return { heldConnections: victim?.heldConnections, recovered, ...(victim ? { connections } : {}) };
}

/**
 * How long after `since` (performance.now()) `/_gateway/upstreams` listed `count`
 * upstreams in rotation again, one of them new (recovery.ts): Miniscale's recovery
 * time after a node dies (`up` starts a replacement; one hop: a new worker on the same
 * port, `--gateway`: a new node on a new port that the gateway adds).
 */
export async function waitForRecovery(url: string, count: number, before: Set<string>, since: number, timeoutMs = 30_000): Promise<number> {
  let last = 'no answer yet';
  for (;;) {
    const ups = await gatewayUpstreams(url).catch((err: unknown) => {
      last = (err as Error).message;
      return undefined;
    });
    if (ups) last = JSON.stringify(ups);
    if (ups && atFullStrength(ups, count, before)) return performance.now() - since;
    if (performance.now() - since > timeoutMs)
      throw new Error(`${url} did not have ${count} nodes back within ${timeoutMs} ms; last: ${last}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface SplitSystem {
  url: string;
  gatewayPid: number;
  nodePids: number[];
  nodePorts: number[];
  stop(): Promise<void>;
}

/**
 * `miniscale node` × 3 on one embedded data dir and `miniscale gateway` over them, with
 * upstream i taken from `upstreamPort(i, nodePort)` (the delay proxy for the slow one).
 */
export async function startSplit(
  wechat: { api: string; appid: string; secret: string },
  upstreamPort: (index: number, nodePort: number) => Promise<number>,
): Promise<SplitSystem> {
  requireBuilt('bench');
  const dataDir = tempDir('miniscale-bench-split-');
  const env = {
    ...process.env,
    ...BENCH_ENV,
    MINISCALE_WECHAT_API: wechat.api,
    MINISCALE_WECHAT_APPID: wechat.appid,
    MINISCALE_WECHAT_SECRET: wechat.secret,
  };
  const nodes: ChildProcess[] = [];
  const nodePorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const child = startTracked(process.execPath, [CLI, 'node', '--port', String(port), '--data', dataDir], { cwd: REPO, env });
    await waitForLine(child, /"event":"listening"/, `miniscale node ${i + 1}`);
    nodes.push(child);
    nodePorts.push(port);
  }
  const upstreams: string[] = [];
  for (let i = 0; i < 3; i++) upstreams.push('--upstream', `http://127.0.0.1:${await upstreamPort(i, nodePorts[i]!)}`);
  const port = await freePort();
  const gateway = startTracked(
    process.execPath,
    [CLI, 'gateway', '--port', String(port), '--host', '127.0.0.1', '--no-access-log', ...upstreams],
    { cwd: REPO, env },
  );
  await waitForLine(gateway, /"event":"listening"/, 'miniscale gateway');
  return {
    url: `http://127.0.0.1:${port}`,
    gatewayPid: gateway.pid!,
    nodePids: nodes.map((n) => n.pid!),
    nodePorts,
    stop: async () => {
      await stop(gateway, 'SIGTERM');
      await Promise.all(nodes.map((n) => stop(n, 'SIGTERM')));
    },
  };
}
