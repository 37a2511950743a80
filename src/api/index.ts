/**
 * One API node: opens the store, builds the app, listens, registers in the node
 * registry and keeps the WeChat access_token warm. `drain()` is the graceful exit.
 */
import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from '../logging.js';
import { openStore, type Store } from '../store/index.js';
import { buildApp } from './app.js';
import { Sessions } from './auth/sessions.js';
import type { ApiContext } from './context.js';
import type { NodeOptions } from './config.js';
import { NodeMetrics } from './metrics.js';
import { RegistryHeartbeat } from './registry-heartbeat.js';
import { AccessTokenKeeper } from './wechat/access-token.js';
import { WechatClient } from './wechat/wechat-client.js';

export { resolveNodeOptions, type NodeOptions, type NodeFlags } from './config.js';

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly nodeId: string;
  /** Stop taking new work, finish in-flight requests, deregister, close the store. */
  drain(): Promise<void>;
}

export async function startNode(options: NodeOptions, logger: Logger = createLogger({ component: 'node', nodeId: options.nodeId })): Promise<RunningNode> {
  const store = await openStore(options.store);
  const wechat = new WechatClient(options.wechat);
  const ctx: ApiContext = {
    options,
    store,
    sessions: new Sessions(store, options.sessionTtlSec),
    wechat,
    tokens: new AccessTokenKeeper(store, wechat, options.nodeId, logger),
    metrics: new NodeMetrics(options.nodeId),
    state: { draining: false },
  };
  const app = await buildApp(ctx, logger);
  await app.listen({ host: options.host, port: options.port });
  const port = (app.server.address() as { port: number }).port;
  const url = `http://${options.host}:${port}`;
  const heartbeat = new RegistryHeartbeat(store, options.nodeId, url, options.heartbeatMs, logger);
  await heartbeat.start();
  ctx.tokens.start();
  logger.info({ url, store: store.driver }, 'node ready');
  return { url, port, nodeId: options.nodeId, drain: once(() => drain(ctx, app, heartbeat, store, logger)) };
}

async function drain(ctx: ApiContext, app: FastifyInstance, heartbeat: RegistryHeartbeat, store: Store, log: Logger): Promise<void> {
  const { drainDelayMs, drainTimeoutMs } = ctx.options;
  log.info({ drainDelayMs }, 'draining');
  ctx.state.draining = true;
  const forced = setTimeout(() => {
    log.error({ drainTimeoutMs }, 'drain took too long; closing connections');
    app.server.closeAllConnections();
  }, drainTimeoutMs);
  forced.unref();
  try {
    await heartbeat.markDraining();
    // Keep serving while the gateway notices (registry or failing /readyz) and stops sending.
    await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
    await app.close(); // stops accepting, waits for in-flight requests, closes idle keep-alive sockets
    await heartbeat.stop();
    ctx.tokens.stop();
    await ctx.wechat.close();
    await store.close();
    log.info('drained');
  } finally {
    clearTimeout(forced);
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
