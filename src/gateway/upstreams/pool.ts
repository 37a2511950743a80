/**
 * One keep-alive connection pool per upstream (undici Pool).
 *
 * The keep-alive race: an upstream closes an idle socket at the moment the pool reuses
 * it, and the request dies with ECONNRESET after it was written, so it cannot safely
 * go elsewhere unless it is idempotent. It is avoided by always letting the pool close
 * first: undici closes an idle socket after the upstream's own `Keep-Alive: timeout=N`
 * hint minus `keepAliveTimeoutThreshold` (2 s), and after `poolIdleMs` (4 s, below
 * Node's 5 s server default) when there is no hint. API nodes keep idle sockets 65 s
 * and say so; the gateway then keeps them at most `keepAliveMaxTimeout` (60 s). What
 * is left of the race (a stalled event loop, a server that closes early without saying
 * so) is covered by the retry rules: GET/HEAD/OPTIONS go to another node, a POST gets 502.
 */
import { Pool } from 'undici';

export interface PoolSettings {
  connections: number;
  idleMs: number;
  connectTimeoutMs: number;
}

/** Longest an idle upstream socket is kept, whatever the upstream's hint says. */
export const POOL_MAX_IDLE_MS = 60_000;
/** How much earlier than the upstream's hint the pool gives up an idle socket. */
export const POOL_IDLE_MARGIN_MS = 2_000;

export function createPool(origin: string, s: PoolSettings): Pool {
  return new Pool(origin, {
    connections: s.connections,
    pipelining: 1,
    keepAliveTimeout: s.idleMs,
    keepAliveMaxTimeout: POOL_MAX_IDLE_MS,
    keepAliveTimeoutThreshold: POOL_IDLE_MARGIN_MS,
    connect: { timeout: s.connectTimeoutMs },
    // Our own per-try timer bounds the wait for headers; undici's timers are a backstop.
    headersTimeout: 0,
    bodyTimeout: 0,
    strictContentLength: true,
    maxHeaderSize: 64 * 1024,
  });
}

export interface PoolStats {
  connected: number;
  free: number;
  pending: number;
  running: number;
}

export function poolStats(pool: Pool): PoolStats {
  const s = pool.stats;
  return { connected: s.connected, free: s.free, pending: s.pending, running: s.running };
}
