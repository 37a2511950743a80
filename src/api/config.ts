/**
 * The API node's settings: flags first, then MINISCALE_* environment variables, then
 * defaults. Everything is checked here, once, at start-up, so a bad setting stops the
 * node with a clear message instead of failing the first request that needs it.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';
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
  /** Addresses whose X-Forwarded-For is believed (Fastify trustProxy syntax). */
  trustProxy: string;
  heartbeatMs: number;
  /** After SIGTERM: how long to keep answering (readyz 503) so the gateway sees the drain. */
  drainDelayMs: number;
  /** Upper bound for the whole drain; then the node exits anyway. */
  drainTimeoutMs: number;
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
    throw new ConfigError('MINISCALE_WECHAT_APPID and MINISCALE_WECHAT_SECRET must be set (or run `miniscale up`, which starts a WeChat emulator in dev mode)');
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
    trustProxy: env.MINISCALE_TRUST_PROXY ?? 'loopback',
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
  if (raw.length < 16) throw new ConfigError('MINISCALE_ADMIN_KEY must be at least 16 characters');
  return raw;
}
