/**
 * Scenario 4: the same three nodes, the third one 100 ms slow (delay-proxy.ts in front
 * of it), behind Miniscale's gateway (p2c-EWMA, default settings) and behind each peer's
 * nginx round-robin. The peers' slow variants are new load balancers over the same
 * backends; Miniscale's is `miniscale gateway` over three `miniscale node`s. Each system
 * is warmed with three fast nodes; the third turns slow as a measured run starts and
 * fast again after it (`setSlow`), so every run includes the moment a node goes slow.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/core/ports.js';
import { login, preloadNode } from '../api/workload.js';
import { startTracked, stop, waitForLine } from '../support/processes.js';
import { gatewayUpstreams, startSplit } from './miniscale.js';
import type { SystemName } from './names.js';
import { miniscaleScripts } from './scripts.js';
import { backendPort, startLoadBalancer, type LbFlavour } from './seed-stack.js';
import type { Peers, System } from './systems.js';

export const SLOW_MS = 100;
const PROXY = fileURLToPath(new URL('./delay-proxy.ts', import.meta.url));

export interface DelayProxy {
  port: number;
  pid: number;
  /** Turns the delay on or off; resolves once the proxy says it did. */
  setSlow(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** A system of the slow-node scenario: its third node can be made slow and fast again. */
export interface SlowSystem extends System {
  setSlow(on: boolean): Promise<void>;
}

export async function startDelayProxy(targetPort: number, delayMs = SLOW_MS): Promise<DelayProxy> {
  const port = await freePort();
  const child = startTracked(process.execPath, ['--import', 'tsx', PROXY, String(port), String(targetPort), String(delayMs)], {
    cwd: path.dirname(PROXY),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await waitForLine(child, /"event":"listening"/, 'delay proxy');
  const lines = createInterface({ input: child.stdout! });
  return {
    port,
    pid: child.pid!,
    setSlow: (on) =>
      new Promise<void>((resolve, reject) => {
        const want = JSON.stringify({ event: 'delay', ms: on ? delayMs : 0 });
        const onLine = (line: string) => {
          if (line.trim() !== want) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`the delay proxy did not answer "${on ? 'slow' : 'fast'}" within 5 s`));
        }, 5_000);
        const done = () => {
          clearTimeout(timer);
          lines.off('line', onLine);
        };
        lines.on('line', onLine);
        child.stdin!.write(on ? 'slow\n' : 'fast\n');
      }),
    stop: () => stop(child, 'SIGTERM'),
  };
}

/** The peers behind fresh load balancers whose third upstream is slow. */
export async function slowPeers(peers: Peers): Promise<SlowSystem[]> {
  const variants: Array<[SystemName, LbFlavour, 'connect' | 'pconnect' | 'node']> = [
    ['seed-php', 'literal', 'connect'],
    ['seed-php-keepalive', 'keepalive', 'pconnect'],
    ['node-naive', 'keepalive', 'node'],
  ];
  const systems: SlowSystem[] = [];
  for (const [name, flavour, port] of variants) {
    const backends = port === 'node' ? peers.kvjs : peers.php;
    const proxy = await startDelayProxy(backendPort(backends[2]!, port));
    const lb = await startLoadBalancer(`${name}-slow`, flavour, [
      backendPort(backends[0]!, port),
      backendPort(backends[1]!, port),
      proxy.port,
    ]);
    const base = peers.systems.find((s) => s.name === name)!;
    systems.push({
      ...base,
      url: lb.url,
      groups: () => ({ ...base.groups(), lb: [lb.pid], proxy: [proxy.pid] }),
      setSlow: (on) => proxy.setSlow(on),
      stop: async () => {
        await lb.stop();
        await proxy.stop();
      },
    });
  }
  return systems;
}

/** Requests the gateway has sent so far: to the slow upstream, and to all (its own counters). */
export interface SlowCount {
  slow: number;
  total: number;
}

export async function slowCount(gatewayUrl: string, slowPort: number): Promise<SlowCount> {
  const ups = await gatewayUpstreams(gatewayUrl);
  return { slow: ups.find((u) => new URL(u.url).port === String(slowPort))?.requests ?? 0, total: ups.reduce((n, u) => n + u.requests, 0) };
}

/** The slow upstream's share of the requests counted. */
export function slowShare(c: SlowCount): number {
  return c.total > 0 ? c.slow / c.total : NaN;
}

/** Miniscale's gateway over three nodes (embedded store), the third slow: `miniscale-gateway` in this scenario. */
export async function slowMiniscale(wechat: { api: string; appid: string; secret: string }): Promise<SlowSystem & { slowPort: number }> {
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
    name: 'miniscale-gateway',
    url: split.url,
    scripts: miniscaleScripts(tokens),
    slowPort: proxy!.port,
    groups: () => ({ gateway: [split.gatewayPid], nodes: split.nodePids, proxy: [proxy!.pid] }),
    killOne: () => Promise.reject(new Error('not used in the slow-node scenario')),
    setSlow: (on) => proxy!.setSlow(on),
    stop: async () => {
      await split.stop();
      await proxy?.stop();
    },
  };
}
