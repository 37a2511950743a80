/**
 * The API node's settings: flags first, then MINISCALE_* environment variables, then
 * defaults. Everything is checked here, once, at start-up, so a bad setting stops the
 * node with a clear message instead of failing the first request that needs it.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../core/errors.js';
import { isLongEnoughAdminKey, MIN_ADMIN_KEY_LENGTH } from '../core/admin-key.js';
import { TrustedProxies } from '../http/trusted-proxies.js';
import { resolveStoreConfig, type StoreConfig, type StoreFlags } from '../store/index.js';

export const DEFAULT_WECHAT_API = 'https://api.weixin.qq.com';
/** @default 7 days */
export const DEFAULT_SESSION_TTL_SEC = 7 * 24 * 3600;
export const DEFAULT_RATE_LIMIT_USER = 600;
export const DEFAULT_RATE_LIMIT_IP = 6000;
/** Logins per minute per IP: each one costs a WeChat call, which WeChat itself limits. */
export const DEFAULT_RATE_LIMIT_LOGIN = 60;
/** How often a node re-registers; it drops out of the registry after 3 missed beats. */
export const DEFAULT_HEARTBEAT_MS = 2_000;
/** Whose X-Forwarded-For, X-Request-Id and X-Request-Deadline a node believes: a gateway on this machine. */
export const DEFAULT_TRUST_PROXY = 'loopback';
/** The request line and headers must be in within this (slowloris). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** The whole request, body included, must be in within this. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/**
 * Idle keep-alive connections are closed after this. Longer than a gateway pool's idle
 * time (4 s) and nginx's (60 s), so the pool in front always closes first and never
 * reuses a socket the node is closing: a request written onto a socket as the node
 * closes it would fail with no answer.
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** No byte either way for this long — a client that stopped reading its answer — closes the socket. */
export const DEFAULT_SOCKET_TIMEOUT_MS = 120_000;

export interface NodeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Sent as X-Node-Id on every response; unique per process. */
  nodeId: string;
  store: StoreConfig;
  wechat: { appid: string; secret: string; apiBase: string; timeoutMs: number };
  adminKey: string | undefined;
  sessionTtlSec: number;
  /** Requests per minute; 0 turns a limit off. */
  rateLimit: { user: number; ip: number; login: number };
  /**
   * Peers whose X-Forwarded-For, X-Request-Id and X-Request-Deadline are believed:
   * addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal`, comma-separated (Fastify's
   * trustProxy syntax). Empty trusts no one — a node taking client connections itself.
   */
  trustProxy: string;
  /** Timeouts of the client's edge, enforced by Node's HTTP server (see app.ts). */
  http: NodeHttpOptions;
  heartbeatMs: number;
  /** After SIGTERM: how long to keep answering (readyz 503) so the gateway sees the drain. */
  drainDelayMs: number;
  /** Upper bound for the whole drain; then the node exits anyway. */
  drainTimeoutMs: number;
}

export interface NodeHttpOptions {
  /** @default 10_000 (MINISCALE_HEADERS_TIMEOUT_MS) */
  headersTimeoutMs: number;
  /** @default 30_000 (MINISCALE_REQUEST_TIMEOUT_MS); at least headersTimeoutMs */
  requestTimeoutMs: number;
  /** @default 65_000 (MINISCALE_KEEP_ALIVE_TIMEOUT_MS) */
  keepAliveTimeoutMs: number;
  /** @default 120_000 (MINISCALE_SOCKET_TIMEOUT_MS) */
  socketTimeoutMs: number;
}

export interface NodeFlags extends StoreFlags {
  host?: string;
  port?: string;
  nodeId?: string;
}

type Env = Record<string, string | undefined>;

export function resolveNodeOptions(flags: NodeFlags, env: Env = process.env): NodeOptions {
  const appid = env.MINISCALE_WECHAT_APPID;
  const secret = env.MINISCALE_WECHAT_SECRET;
  if (!appid || !secret) {
    throw new ConfigError(
      'MINISCALE_WECHAT_APPID and MINISCALE_WECHAT_SECRET must be set (or run `miniscale up`, which starts a WeChat emulator in dev mode)',
    );
  }
  return {
    host: flags.host ?? '127.0.0.1',
    port: integer('--port', flags.port ?? '0', 0, 65535),
    nodeId: nodeIdFrom(flags.nodeId ?? env.MINISCALE_NODE_ID),
    store: resolveStoreConfig(flags),
    wechat: {
      appid,
      secret,
      apiBase: url('MINISCALE_WECHAT_API', env.MINISCALE_WECHAT_API ?? DEFAULT_WECHAT_API),
      timeoutMs: integer('MINISCALE_WECHAT_TIMEOUT_MS', env.MINISCALE_WECHAT_TIMEOUT_MS ?? '5000', 100, 60_000),
    },
    adminKey: adminKeyFrom(env.MINISCALE_ADMIN_KEY),
    sessionTtlSec: integer('MINISCALE_SESSION_TTL', env.MINISCALE_SESSION_TTL ?? String(DEFAULT_SESSION_TTL_SEC), 60, 365 * 24 * 3600),
    rateLimit: {
      user: integer('MINISCALE_RATE_LIMIT_USER', env.MINISCALE_RATE_LIMIT_USER ?? String(DEFAULT_RATE_LIMIT_USER), 0, 1_000_000),
      ip: integer('MINISCALE_RATE_LIMIT_IP', env.MINISCALE_RATE_LIMIT_IP ?? String(DEFAULT_RATE_LIMIT_IP), 0, 1_000_000),
      login: integer('MINISCALE_RATE_LIMIT_LOGIN', env.MINISCALE_RATE_LIMIT_LOGIN ?? String(DEFAULT_RATE_LIMIT_LOGIN), 0, 1_000_000),
    },
    trustProxy: trustProxyFrom(env.MINISCALE_TRUST_PROXY),
    http: httpOptionsFrom(env),
    heartbeatMs: integer('MINISCALE_HEARTBEAT_MS', env.MINISCALE_HEARTBEAT_MS ?? String(DEFAULT_HEARTBEAT_MS), 100, 60_000),
    drainDelayMs: integer('MINISCALE_DRAIN_DELAY_MS', env.MINISCALE_DRAIN_DELAY_MS ?? '1000', 0, 60_000),
    drainTimeoutMs: integer('MINISCALE_DRAIN_TIMEOUT_MS', env.MINISCALE_DRAIN_TIMEOUT_MS ?? '10000', 100, 120_000),
  };
}

function integer(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return n;
}

/** Unset: the default; set but empty (or `none`): trust no one. */
function trustProxyFrom(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_TRUST_PROXY;
  try {
    return new TrustedProxies(raw).none ? '' : raw.trim();
  } catch (err) {
    throw new ConfigError(`MINISCALE_TRUST_PROXY: ${(err as Error).message}`);
  }
}

function httpOptionsFrom(env: Env): NodeHttpOptions {
  const ms = (name: string, fallback: number, min: number) => integer(name, env[name] ?? String(fallback), min, 3_600_000);
  const o: NodeHttpOptions = {
    headersTimeoutMs: ms('MINISCALE_HEADERS_TIMEOUT_MS', DEFAULT_HEADERS_TIMEOUT_MS, 100),
    requestTimeoutMs: ms('MINISCALE_REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 100),
    keepAliveTimeoutMs: ms('MINISCALE_KEEP_ALIVE_TIMEOUT_MS', DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 100),
    socketTimeoutMs: ms('MINISCALE_SOCKET_TIMEOUT_MS', DEFAULT_SOCKET_TIMEOUT_MS, 1_000),
  };
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (o.headersTimeoutMs > o.requestTimeoutMs) {
    throw new ConfigError(
      `MINISCALE_HEADERS_TIMEOUT_MS (${o.headersTimeoutMs}) must not be over MINISCALE_REQUEST_TIMEOUT_MS (${o.requestTimeoutMs})`,
    );
  }
  return o;
}

function url(name: string, raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    return raw.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL (got "${raw}")`);
  }
}

function nodeIdFrom(raw: string | undefined): string {
  if (raw === undefined) return `node-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw)) throw new ConfigError(`node id must be 1-64 of [A-Za-z0-9._-] (got "${raw}")`);
  return raw;
}

function adminKeyFrom(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  // A short key can be guessed through the API; refuse it rather than run with it.
  if (!isLongEnoughAdminKey(raw)) throw new ConfigError(`MINISCALE_ADMIN_KEY must be at least ${MIN_ADMIN_KEY_LENGTH} characters`);
  return raw;
}
