/**
 * Miniscale as a user runs it: the BUILT `miniscale up` (dist/cli.js), default settings
 * except what a benchmark from one IP needs (rate limits off: 0) and what the peers do
 * too (no access log, log level warn: nginx runs with access_log off). Its gateway runs
 * inside the `up` process; its nodes are `up`'s children, found through
 * DATA/topology.json.
 *
 * For the slow-node scenario, the same parts started one by one instead
 * (`miniscale node` × 3 on one embedded data dir, `miniscale gateway --upstream …`), so
 * the third upstream can be the delay proxy, exactly as for nginx.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { freePort } from '../../src/cluster/ports.js';
import { CLI, REPO, requireBuilt, startTracked, stop, tempDir, waitForLine } from '../support/processes.js';

const BENCH_ENV = {
  MINISCALE_RATE_LIMIT_USER: '0',
  MINISCALE_RATE_LIMIT_IP: '0',
  MINISCALE_RATE_LIMIT_LOGIN: '0',
  MINISCALE_LOG_LEVEL: 'warn',
};

export interface UpSystem {
  url: string;
  /** The `up` process: supervisor and gateway. */
  upPid: number;
  dataDir: string;
  nodeCount: number;
  /** Node PIDs now (they change when a killed node is replaced). */
  nodePids(): number[];
  stop(): Promise<void>;
}

interface TopologyFile {
  gatewayUrl: string;
  nodes: string[];
  pids: number[];
}

function readTopology(dataDir: string): TopologyFile {
  return JSON.parse(readFileSync(path.join(dataDir, 'topology.json'), 'utf8')) as TopologyFile;
}

/** `miniscale up --nodes N` (dev mode: its own WeChat emulator) on a fresh data dir. */
export async function startUp(o: { nodes?: number; storeArgs?: string[] } = {}): Promise<UpSystem> {
  requireBuilt('bench');
  const dataDir = tempDir('miniscale-bench-up-');
  const port = await freePort();
  const nodeArgs = o.nodes ? ['--nodes', String(o.nodes)] : [];
  const child = startTracked(process.execPath, [CLI, 'up', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir,
    '--no-access-log', ...nodeArgs, ...(o.storeArgs ?? [])], {
    cwd: REPO,
    env: { ...process.env, ...BENCH_ENV, MINISCALE_WECHAT_APPID: '', MINISCALE_WECHAT_SECRET: '' },
  });
  await waitForLine(child, /Miniscale is up/, 'miniscale up', 60_000);
  const topology = readTopology(dataDir);
  return {
    url: topology.gatewayUrl.replace('0.0.0.0', '127.0.0.1'),
    upPid: child.pid!,
    dataDir,
    nodeCount: topology.nodes.length,
    nodePids: () => readTopology(dataDir).pids,
    stop: () => stop(child, 'SIGTERM'),
  };
}

export interface UpstreamView {
  url: string;
  state: string;
  requests: number;
}

export async function gatewayUpstreams(gatewayUrl: string): Promise<UpstreamView[]> {
  const res = await request(`${gatewayUrl}/_gateway/upstreams`);
  if (res.statusCode !== 200) throw new Error(`/_gateway/upstreams: ${res.statusCode} ${await res.body.text()}`);
  return ((await res.body.json()) as { upstreams: UpstreamView[] }).upstreams;
}

/**
 * How long after `since` (performance.now()) the gateway had `count` upstreams in
 * rotation again (healthy, or ramping up in slow start), one of them new: Miniscale's
 * recovery time after a node dies (`up` starts a replacement on a new port, the
 * gateway adds it). `before` is the set of upstream URLs when the node was killed.
 */
export async function waitForRecovery(gatewayUrl: string, count: number, before: Set<string>, since: number, timeoutMs = 30_000): Promise<number> {
  for (;;) {
    const ups = await gatewayUpstreams(gatewayUrl).catch(() => []);
    const inRotation = ups.filter((u) => u.state === 'healthy' || u.state === 'slow-start').length;
    if (inRotation === count && ups.length === count && ups.some((u) => !before.has(u.url))) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`the gateway did not get ${count} upstreams back within ${timeoutMs} ms: ${JSON.stringify(ups)}`);
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
export async function startSplit(wechat: { api: string; appid: string; secret: string },
  upstreamPort: (index: number, nodePort: number) => Promise<number>): Promise<SplitSystem> {
  requireBuilt('bench');
  const dataDir = tempDir('miniscale-bench-split-');
  const env = { ...process.env, ...BENCH_ENV, MINISCALE_WECHAT_API: wechat.api, MINISCALE_WECHAT_APPID: wechat.appid, MINISCALE_WECHAT_SECRET: wechat.secret };
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
  const gateway = startTracked(process.execPath, [CLI, 'gateway', '--port', String(port), '--host', '127.0.0.1', '--no-access-log', ...upstreams], { cwd: REPO, env });
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
