/**
 * `miniscale up --gateway`: the gateway in this process on the public port, each API
 * node a child process on its own 127.0.0.1 port under the supervisor — per-request
 * balancing (p2c-EWMA), retries of what may be retried and latency ejection, at the
 * cost of a second hop.
 *
 * The gateway learns of nodes from the supervisor directly, as its discovery source
 * (supervisor-discovery.ts), not by polling the registry: a node being replaced leaves
 * the rotation before it is told to drain. Nodes still register in the store, for
 * gateways on other machines.
 */
import { startGateway, type RunningGateway } from '../gateway/index.js';
import { SupervisorDiscovery } from './supervisor-discovery.js';
import { NodeSupervisor, type SupervisorEvents } from './supervisor.js';
import type { Serving, ServeParts } from './serving.js';
import { withinMs } from '../core/within.js';

const GATEWAY_CLOSE_MS = 4_000;
/** What the nodes get to drain once the gateway is closed. */
const NODES_STOP_MS = 8_000;

export async function serveThroughGateway(p: ServeParts): Promise<Serving> {
  const { o } = p;
  let gateway: RunningGateway | undefined;
  // Read when the gateway starts, by which time the supervisor (built with the source's events) exists.
  const source = new SupervisorDiscovery(() => supervisor.nodes());
  const events: SupervisorEvents = {
    ready: (n) => {
      source.events.ready(n);
      p.onChange();
    },
    retiring: (n) => source.events.retiring(n),
    gone: (n) => {
      source.events.gone(n);
      p.onChange();
    },
  };
  const supervisor = new NodeSupervisor({
    count: o.nodes,
    nodeArgs: p.nodeArgs,
    env: { ...p.env, MINISCALE_TRUST_PROXY: 'loopback' },
    log: p.log,
    onChildLine: (line) => p.onOutputLine(line),
    events,
  });
  const stop = async () => {
    await withinMs(gateway?.close(), GATEWAY_CLOSE_MS);
    await supervisor.stop(NODES_STOP_MS);
  };
  try {
    await supervisor.start();
    gateway = await startGateway({
      listen: { port: o.port, host: o.host },
      discovery: { source },
      balancing: { algorithm: o.algorithm },
      trustProxy: o.trustProxy,
      admin: { key: p.adminKey.key },
      accessLog: o.accessLog,
      timeouts: { closeGraceMs: GATEWAY_CLOSE_MS },
      logger: p.logger('gateway'),
      restartsOf: (url) => supervisor.restartsOf(url),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const gw = gateway;
  return {
    url: gw.url,
    topology: 'gateway',
    nodeUrls: () => supervisor.nodes().map((n) => n.url),
    workers: () => supervisor.nodes().map((n) => ({ nodeId: n.nodeId, pid: n.pid })),
    pids: () => supervisor.pids(),
    replaceAll: () => supervisor.rollingRestart(),
    stop,
    kill: () => supervisor.killAll(),
  };
}
