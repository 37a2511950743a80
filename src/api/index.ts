/**
 * One API node: opens the store, builds the app, listens, and — standing alone — registers
 * in the node registry; as a worker of `miniscale up` it reports to its primary instead
 * (worker/). Keeps the WeChat access_token warm. `drain()` is the graceful exit.
 */
import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from '../core/logging.js';
import { openStore, type Store } from '../store/index.js';
import { buildApp } from './app.js';
import { Sessions } from './auth/sessions.js';
import { ConnectionDrain } from './connection-drain.js';
import type { ApiContext } from './context.js';
import type { NodeOptions } from './config.js';
import { NodeMetrics } from './metrics.js';
import { RegistryHeartbeat } from './registry-heartbeat.js';
import { AccessTokenKeeper } from './wechat/access-token.js';
import { WechatPlatform } from './wechat/platform.js';
import { WechatClient } from './wechat/wechat-client.js';
import { WxacodeCache } from './wechat/wxacode-cache.js';
import { attachToPrimary, type WorkerRole } from './worker/attach.js';

export { resolveNodeOptions, type NodeOptions, type NodeFlags } from './config.js';

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly nodeId: string;
  /** Stop taking new work, finish in-flight requests, deregister, close the store. */
  drain(): Promise<void>;
}

export interface StartNodeOptions {
  logger?: Logger;
  /** Set when this node is a worker of `miniscale up`, sharing the public port with its siblings. */
  worker?: WorkerRole;
}

export async function startNode(options: NodeOptions, start: StartNodeOptions = {}): Promise<RunningNode> {
  const logger = start.logger ?? createLogger({ component: 'node', nodeId: options.nodeId });
  const store = await openStore(options.store);
  const wechat = new WechatClient(options.wechat);
  const metrics = new NodeMetrics(options.nodeId);
  const tokens = new AccessTokenKeeper(store, wechat, options.nodeId, logger, ({ reason, forced }) =>
    metrics.wechatTokenFetches.inc({ reason, forced: String(forced) }),
  );
  const platform = new WechatPlatform(wechat, tokens, logger, (call, outcome) => metrics.wechatCalls.inc({ call, outcome }));
  const ctx: ApiContext = {
    options,
    store,
    sessions: new Sessions(store, options.sessionTtlSec),
    wechat,
    tokens,
    platform,
    wxacodes: new WxacodeCache(store, platform, options.nodeId, logger),
    metrics,
    state: { draining: false },
  };
  const app = await buildApp(ctx, logger);
  const connections = new ConnectionDrain(app.server);
  const worker = start.worker ? await attachToPrimary(app, ctx, connections, start.worker, logger) : undefined;
  await app.listen({ host: options.host, port: options.port });
  const port = (app.server.address() as { port: number }).port;
  const url = `http://${options.host}:${port}`;
  // A worker's URL is the machine's shared port: one registry entry per worker would
  // list that URL N times, so only a node standing alone registers itself.
  const heartbeat = worker ? undefined : new RegistryHeartbeat(store, options.nodeId, url, options.heartbeatMs, logger);
  await heartbeat?.start();
  ctx.tokens.start();
  worker?.ready(url);
  logger.info({ url, store: store.driver }, 'node ready');
  return { url, port, nodeId: options.nodeId, drain: once(() => drain(ctx, app, connections, heartbeat, store, logger)) };
}

async function drain(
  ctx: ApiContext,
  app: FastifyInstance,
  connections: ConnectionDrain,
  heartbeat: RegistryHeartbeat | undefined,
  store: Store,
  log: Logger,
): Promise<void> {
  const { drainDelayMs, drainTimeoutMs } = ctx.options;
  const deadline = Date.now() + drainTimeoutMs;
  log.info({ drainDelayMs, connections: connections.connections }, 'draining');
  ctx.state.draining = true;
  await heartbeat?.markDraining();
  // Keep serving while a gateway in front notices (registry or failing /readyz) and stops sending.
  if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
  connections.stopAccepting();
  // Clients connected directly may still send on an idle socket until the keep-alive
  // timeout we advertised; a gateway in front has been told during the drain delay.
  const idleCloseMs = drainDelayMs > 0 ? 0 : app.server.keepAliveTimeout;
  const { cut } = await connections.settled(deadline, idleCloseMs);
  if (cut > 0) log.warn({ cut, drainTimeoutMs }, 'drain took too long; closed the connections left');
  await app.close();
  await heartbeat?.stop();
  ctx.tokens.stop();
  await ctx.wechat.close();
  await store.close();
  log.info('drained');
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
