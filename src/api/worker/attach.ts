/**
 * An API node as a worker of `miniscale up`: it answers its primary's questions (its
 * counters and metrics, an admin drain or undrain), serves the admin routes on the
 * public port by asking the primary, and says `ready` once it listens.
 */
import type { FastifyInstance } from 'fastify';
import type { RowCounters } from '../../console/stats-types.js';
import { StorePinger } from '../../console/store-pinger.js';
import type { Logger } from '../../core/logging.js';
import type { PrimaryLink } from '../../workers/link.js';
import type { ConnectionDrain } from '../connection-drain.js';
import type { ApiContext } from '../context.js';
import { workerAdminRoutes } from './admin-routes.js';
import type { WorkerLocalOp, WorkerReadyInfo, WorkerReport, WorkerStats } from './ops.js';

export interface WorkerRole {
  link: PrimaryLink;
}

export interface AttachedWorker {
  /** The node listens on `url`: tell the primary, and start the heartbeat. */
  ready(url: string): void;
}

export async function attachToPrimary(
  app: FastifyInstance,
  ctx: ApiContext,
  connections: ConnectionDrain,
  role: WorkerRole,
  log: Logger,
): Promise<AttachedWorker> {
  await app.register(workerAdminRoutes(ctx, role.link));
  let accepting = true;
  role.link.answer(async (raw) => {
    const op = raw as WorkerLocalOp;
    switch (op.op) {
      case 'stats':
        return {
          ...(await answerCounts(ctx)),
          inflight: connections.inflight,
          connections: connections.connections,
          accepting,
        } satisfies WorkerStats;
      case 'metrics':
        return ctx.metrics.registry.getMetricsAsJSON();
      case 'accept':
        if (op.accepting === accepting || ctx.state.draining) return null;
        accepting = op.accepting;
        if (accepting) await connections.resumeAccepting(ctx.options.port, ctx.options.host);
        else connections.stopAccepting();
        log.info({ accepting }, accepting ? 'undrained by the admin API' : 'drained by the admin API');
        return null;
      default:
        return null;
    }
  });
  const store = new StorePinger(ctx.store, 'nodes');
  const report = async (): Promise<WorkerReport> => ({
    counters: await nodeCounters(ctx),
    inflight: connections.inflight,
    accepting,
    store: store.health(),
  });
  return {
    ready: (url) => {
      store.start();
      role.link.ready({ nodeId: ctx.options.nodeId, url } satisfies WorkerReadyInfo, report);
    },
  };
}

/** Requests answered and 5xx answers, from the node's own request counter. */
async function answerCounts(ctx: ApiContext): Promise<{ requests: number; failures: number }> {
  const c = await nodeCounters(ctx);
  return { requests: c.requests, failures: c.status5xx };
}

/** What the node has counted since it started, from its own metrics (their collect step adds what is pending). */
async function nodeCounters(ctx: ApiContext): Promise<RowCounters> {
  const metric = ctx.metrics.registry.getSingleMetric('miniscale_http_requests_total');
  const values = metric ? (await metric.get()).values : [];
  let requests = 0;
  let status4xx = 0;
  let status5xx = 0;
  for (const v of values) {
    requests += v.value;
    const status = String(v.labels.status ?? '');
    if (status.startsWith('4')) status4xx += v.value;
    else if (status.startsWith('5')) status5xx += v.value;
  }
  return { requests, status4xx, status5xx, latencyCounts: ctx.metrics.latencyCounts() };
}
