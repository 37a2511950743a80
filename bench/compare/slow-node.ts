/**
 * Scenario 4: the same three nodes, the third one 100 ms slow (delay-proxy.ts in front
 * of it), behind Miniscale's gateway (p2c-EWMA, default settings) and behind each peer's
 * nginx round-robin. The peers' slow variants are new load balancers over the same
 * backends; Miniscale's is `miniscale gateway` over three `miniscale node`s.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/cluster/ports.js';
import { login, preloadNode } from '../api/workload.js';
import { startTracked, stop, waitForLine } from '../support/processes.js';
import { gatewayUpstreams, startSplit } from './miniscale.js';
import { miniscaleScripts } from './scripts.js';
import { backendPort, startLoadBalancer, type LbFlavour } from './seed-stack.js';
import type { Peers, System, SystemName } from './systems.js';

export const SLOW_MS = 100;
const PROXY = fileURLToPath(new URL('./delay-proxy.ts', import.meta.url));

export interface DelayProxy {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startDelayProxy(targetPort: number, delayMs = SLOW_MS): Promise<DelayProxy> {
  const port = await freePort();
  const child = startTracked(process.execPath, ['--import', 'tsx', PROXY, String(port), String(targetPort), String(delayMs)], { cwd: path.dirname(PROXY) });
  await waitForLine(child, /"event":"listening"/, 'delay proxy');
  return { port, pid: child.pid!, stop: () => stop(child, 'SIGTERM') };
}

/** The peers behind fresh load balancers whose third upstream is slow. */
export async function slowPeers(peers: Peers, redisPid: number): Promise<System[]> {
  const variants: Array<[SystemName, LbFlavour, 'connect' | 'pconnect' | 'node']> = [
    ['seed-php', 'literal', 'connect'], ['seed-php-keepalive', 'keepalive', 'pconnect'], ['node-naive', 'keepalive', 'node'],
  ];
  const systems: System[] = [];
  for (const [name, flavour, port] of variants) {
    const backends = port === 'node' ? peers.kvjs : peers.php;
    const proxy = await startDelayProxy(backendPort(backends[2]!, port));
    const lb = await startLoadBalancer(`${name}-slow`, flavour, [backendPort(backends[0]!, port), backendPort(backends[1]!, port), proxy.port]);
    const base = peers.systems.find((s) => s.name === name)!;
    systems.push({
      ...base, url: lb.url,
      groups: () => ({ ...base.groups(), lb: [lb.pid], proxy: [proxy.pid] }),
      stop: async () => { await lb.stop(); await proxy.stop(); },
    });
  }
  return systems;
}

/** The share of proxied requests (warm-up included) that went to the slow upstream, from the gateway's own counters. */
export async function slowShare(gatewayUrl: string, slowPort: number): Promise<number> {
  const ups = await gatewayUpstreams(gatewayUrl);
  const total = ups.reduce((n, u) => n + u.requests, 0);
  return (ups.find((u) => new URL(u.url).port === String(slowPort))?.requests ?? 0) / total;
}

/** Miniscale's gateway over three nodes (embedded store), the third slow. */
export async function slowMiniscale(wechat: { api: string; appid: string; secret: string }): Promise<System & { slowPort: number }> {
  let proxy: DelayProxy | undefined;
  const split = await startSplit(wechat, async (i, nodePort) => {
    if (i < 2) return nodePort;
    proxy = await startDelayProxy(nodePort);
    return proxy.port;
  });
  // Sign in and preload through a fast node directly: the nodes share one data dir.
  const direct = `http://127.0.0.1:${split.nodePorts[0]}`;
  const tokens = await login(direct, `slow-${process.pid}-${Date.now()}`);
  await preloadNode(direct, tokens);
  return {
    name: 'miniscale-embedded', url: split.url, scripts: miniscaleScripts(tokens), slowPort: proxy!.port,
    groups: () => ({ gateway: [split.gatewayPid], nodes: split.nodePids, proxy: [proxy!.pid] }),
    killOne: () => Promise.reject(new Error('not used in the slow-node scenario')),
    stop: async () => { await split.stop(); await proxy?.stop(); },
  };
}
