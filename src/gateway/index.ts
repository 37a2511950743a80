/**
 * `startGateway(options)`: the Miniscale load balancer, in-process. `miniscale
 * gateway` runs it in the foreground; `miniscale up` can run it in-process or as a
 * child. `close()` stops taking connections, lets in-flight requests finish (up to
 * `closeGraceMs`), then closes pools, probes, discovery and the store.
 */
import type { AddressInfo } from 'node:net';
import { StatsRecorder } from '../console/stats-recorder.js';
import type { StoreHealth } from '../console/stats-types.js';
import { StorePinger } from '../console/store-pinger.js';
import { createLogger, type Logger } from '../core/logging.js';
import { openStore, type Store } from '../store/index.js';
import { Balancer } from './pickers/balancer.js';
import { setDraining, upstreamsView } from './admin/routes.js';
import { RegistryDiscovery } from './discovery/registry.js';
import type { DiscoverySource } from './discovery/source.js';
import { gatewayHandle, type RunningGateway } from './handle.js';
import { ActiveHealthChecker } from './health/active.js';
import { LatencyOutlierDetector } from './health/latency-outliers.js';
import type { HealthEvent } from './health/state.js';
import { Membership } from './upstreams/membership.js';
import { GatewayMetrics } from './metrics.js';
import { resolveOptions, type GatewayOptions } from './options.js';
import { createPicker } from './pickers/index.js';
import { TrustedProxies } from '../http/trusted-proxies.js';
import { RetryBudget } from './proxy/retry-budget.js';
import type { GatewayRuntime } from './runtime.js';
import { createGatewayServer } from './server.js';
import { SourceMembers } from './discovery/source-members.js';
import { gatewayCounts, gatewayReading } from './admin/stats-reading.js';
import type { Upstream } from './upstreams/upstream.js';
import { displayHost } from '../http/display-host.js';

export * from './options.js';
export { upstreamsView } from './admin/routes.js';
export type { RunningGateway } from './handle.js';
export type { DiscoveredNode, DiscoverySink, DiscoverySource } from './discovery/source.js';
export type { UpstreamView } from './types.js';
export type { UpstreamState } from './health/state.js';

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const o = resolveOptions(options);
  const log = options.logger ?? createLogger({ component: 'gateway' });
  // Metrics read membership through a closure made before membership exists (its health
  // events go to metrics), so this cannot be a const.
  // eslint-disable-next-line prefer-const
  let membership: Membership | undefined;
  const metrics = new GatewayMetrics(() => membership);
  membership = new Membership(
    {
      health: {
        ejectAfterFailures: o.outlierDetection.ejectAfterFailures,
        ejectionBaseMs: o.outlierDetection.ejectionBaseMs,
        ejectionMaxMs: o.outlierDetection.ejectionMaxMs,
        slowStartMs: o.balancing.slowStartMs,
        slowStartMinWeight: o.balancing.slowStartMinWeight,
        healthyThreshold: o.healthChecks.healthyThreshold,
        unhealthyThreshold: o.healthChecks.unhealthyThreshold,
      },
      pool: { connections: o.pool.connections, idleMs: o.pool.idleMs, connectTimeoutMs: o.timeouts.connectMs },
      ewmaDecayMs: o.balancing.ewmaDecayMs,
    },
    log,
    healthEventLogger(log, metrics),
  );
  // Before any upstream is added, so every one (discovered ones too) starts drained or not.
  membership.replaceAdminDrains(o.admin.drained);
  for (const url of o.upstreams) membership.add(url, { slowStart: false });

  let pinger: StorePinger | undefined;
  // The multi-worker gateway's primary keeps the stats from its workers' counts.
  const stats = options.cluster
    ? undefined
    : new StatsRecorder({
        topology: 'gateway',
        algorithm: o.balancing.algorithm,
        log,
        read: async () => gatewayReading([{ by: 'self', counts: await gatewayCounts(gw) }]),
      });
  const gw: GatewayRuntime = {
    options: o,
    log,
    metrics,
    membership,
    stats,
    storeHealth: () => pinger?.health() ?? probedStoreHealth(membership),
    restartsOf: (url) => options.restartsOf?.(url),
    balancer: new Balancer(membership, createPicker(o.balancing.algorithm, o.balancing), metrics),
    budget: new RetryBudget({ ratio: o.retryPolicy.budgetRatio, min: o.retryPolicy.budgetMin, windowMs: o.retryPolicy.budgetWindowMs }),
    trusted: new TrustedProxies(o.trustProxy.join(',')),
    cluster: options.cluster,
  };
  let store: Store | undefined;
  const sources: DiscoverySource[] = o.discovery.source ? [o.discovery.source] : [];
  const health = new ActiveHealthChecker(membership, o.healthChecks, log);
  const outliers = new LatencyOutlierDetector(
    membership,
    {
      intervalMs: o.outlierDetection.intervalMs,
      factor: o.outlierDetection.latencyEjectionFactor,
      minExcessMs: o.outlierDetection.latencyEjectionExcessMs,
      minRequests: o.outlierDetection.minRequests,
      probes: o.healthChecks.intervalMs > 0,
    },
    log,
  );
  const { server, active, upgraded } = createGatewayServer(gw);
  const shutdown = async (): Promise<void> => {
    stats?.stop();
    pinger?.stop();
    for (const source of sources) await source.stop();
    await health.stop();
    outliers.stop();
    await membership.close();
    await store?.close().catch(() => undefined);
  };
  try {
    if (o.discovery.store) {
      store = await openStore(o.discovery.store);
      sources.unshift(new RegistryDiscovery(store, o.discovery.intervalMs, log));
      pinger = new StorePinger(store, 'gateway');
      pinger.start();
    }
    for (const source of sources) await source.start(new SourceMembers(membership));
    health.start();
    outliers.start();
    stats?.start();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.listen.port, o.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await shutdown();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${displayHost(o.listen.host)}:${port}`;
  log.info(
    { url, algorithm: o.balancing.algorithm, upstreams: membership.upstreams.map((u) => u.url), discover: o.discovery.store?.driver },
    'gateway ready',
  );

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    server.close();
    const deadline = Date.now() + o.timeouts.closeGraceMs;
    // Idle keep-alive connections are closed as they become idle; busy ones finish first.
    while (active.count > 0 && Date.now() < deadline) {
      server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 50));
    }
    if (active.count > 0) log.warn({ active: active.count }, 'close grace ran out; cutting connections');
    server.closeAllConnections();
    for (const s of upgraded) s.destroy();
    await shutdown();
    log.info('gateway closed');
  };
  options.cluster?.attach({
    view: () => upstreamsView(gw),
    setDraining: (ref, draining) => setDraining(gw, ref, draining),
    metrics: () => metrics.registry.getMetricsAsJSON(),
    replaceAdminDrains: (refs) => membership.replaceAdminDrains(refs),
    counts: () => gatewayCounts(gw),
  });
  return gatewayHandle(gw, { url, port }, () => (closing ??= close()));
}

function healthEventLogger(log: Logger, metrics: GatewayMetrics): (u: Upstream, e: HealthEvent) => void {
  return (u, e) => {
    if (e === 'ejected') {
      metrics.ejections.inc({ upstream: u.url });
      log.warn({ upstream: u.url, failures: u.failures }, 'upstream ejected after consecutive failures');
    } else if (e === 'ejected-slow') {
      metrics.ejections.inc({ upstream: u.url }); // the detector logs the latencies that decided it
    } else if (e === 'unhealthy') {
      log.warn({ upstream: u.url }, 'upstream failed its health checks');
    } else {
      log.info(
        { upstream: u.url, event: e },
        e === 'returned' ? 'upstream back from ejection (slow start)' : 'upstream passes its health checks again (slow start)',
      );
    }
  };
}

/**
 * A gateway with no store of its own sees the store through the nodes' /readyz, which
 * pings it: the slowest passing probe's round trip, and "ok" while any node passes.
 */
function probedStoreHealth(membership: Membership): StoreHealth | null {
  const all = membership.upstreams;
  const passing = all.filter((u) => u.probeMs !== undefined);
  if (all.every((u) => u.probeMs === undefined && u.probeStore === undefined)) return null;
  return {
    driver: all.find((u) => u.probeStore !== undefined)?.probeStore ?? null,
    seenBy: 'probes',
    ok: passing.length > 0,
    pingMs: passing.length > 0 ? Math.round(Math.max(...passing.map((u) => u.probeMs!)) * 1000) / 1000 : null,
  };
}
