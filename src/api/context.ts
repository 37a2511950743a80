/**
 * What route plugins get: the node's settings and the services built once at start.
 * Nothing here holds request state; a node keeps no per-user memory (stateless).
 */
import type { Store } from '../store/index.js';
import type { Session, Sessions } from './auth/sessions.js';
import type { NodeOptions } from './config.js';
import type { NodeMetrics } from './metrics.js';
import type { AccessTokenKeeper } from './wechat/access-token.js';
import type { WechatPlatform } from './wechat/platform.js';
import type { WechatClient } from './wechat/wechat-client.js';
import type { WxacodeCache } from './wechat/wxacode-cache.js';

export interface ApiContext {
  options: NodeOptions;
  store: Store;
  sessions: Sessions;
  wechat: WechatClient;
  tokens: AccessTokenKeeper;
  /** Every WeChat call made with the central access_token (retries, errcodes, answer checks). */
  platform: WechatPlatform;
  wxacodes: WxacodeCache;
  metrics: NodeMetrics;
  /** Set when the node starts draining: /readyz answers 503 so the gateway stops sending. */
  state: { draining: boolean };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user's session, set by the auth hook on protected routes (null before). */
    user: Session | null;
    /** The bearer token that resolved to `user` (needed by logout; null before). */
    userToken: string | null;
  }
}
