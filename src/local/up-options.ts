/**
 * The settings of `miniscale up`, from flags and MINISCALE_* environment variables,
 * checked before anything starts so a bad one is a usage error (exit 2), not a
 * half-started system.
 */
import os from 'node:os';
import path from 'node:path';
import type { LevelWithSilent } from 'pino';
import { ConfigError } from '../core/errors.js';
import { portFromEnv } from '../core/public-port.js';
import { checkCidr } from '../gateway/option-checks.js';
import { ALGORITHMS, checkUpstreamUrl, DEFAULTS, type Algorithm } from '../gateway/options.js';
import { DEFAULT_DATA_DIR, STORE_DRIVERS, type StoreDriverName } from '../store/index.js';

export const MAX_NODES = 64;
/** Where the gateway listens in dev mode when --host is not given. */
export const DEV_MODE_HOST = '127.0.0.1';
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface UpFlags {
  port?: number;
  host?: string;
  nodes?: number;
  store?: string;
  storeUrl?: string;
  data?: string;
  algorithm?: string;
  logLevel?: string;
  accessLog?: boolean;
  gateway?: boolean;
  trustProxy?: string[];
  advertise?: string;
}

export interface UpOptions {
  port: number;
  host: string;
  nodes: number;
  store: StoreDriverName;
  /** Absent for redis-cluster: `up` launches a local cluster in DATA/redis-cluster. */
  storeUrl?: string;
  /** Absolute. Holds the embedded store, the admin key, topology.json and a launched cluster. */
  dataDir: string;
  /** Per-request balancing through the in-process gateway (a second hop) instead of one hop. */
  gateway: boolean;
  /** Only with `gateway`. */
  algorithm: Algorithm;
  /** CIDRs of proxies in front whose X-Forwarded-For is believed. @default [] */
  trustProxy: string[];
  /** This machine's URL as gateways on other machines reach it, registered in the store's node registry. */
  advertise?: string;
  logLevel: LevelWithSilent;
  accessLog: boolean;
  wechat: { appid: string; secret: string; apiBase?: string } | 'dev';
  /** MINISCALE_ADMIN_KEY, when set. */
  adminKeyFromEnv?: string;
}

type Env = Record<string, string | undefined>;

export function resolveUpOptions(flags: UpFlags, env: Env = process.env): UpOptions {
  const store = (flags.store ?? 'embedded') as StoreDriverName;
  if (!STORE_DRIVERS.includes(store)) throw new ConfigError(`--store must be one of ${STORE_DRIVERS.join(', ')} (got "${flags.store}")`);
  if (store === 'embedded' && flags.storeUrl)
    throw new ConfigError('--store-url is for the redis and redis-cluster stores; the embedded store uses --data');
  if (store === 'redis' && !flags.storeUrl) throw new ConfigError('--store redis needs --store-url (e.g. redis://127.0.0.1:6379)');
  const algorithm = (flags.algorithm ?? DEFAULTS.balancing.algorithm) as Algorithm;
  if (!ALGORITHMS.includes(algorithm)) throw new ConfigError(`--algorithm must be one of ${ALGORITHMS.join(', ')}`);
  if (flags.algorithm !== undefined && !flags.gateway)
    throw new ConfigError(
      '--algorithm picks how the gateway balances: it needs --gateway (one hop, the kernel and node:cluster hand out connections)',
    );
  const advertise = flags.advertise === undefined ? undefined : checkAdvertise(flags, store);
  // The gateway's parser, so `up` and `gateway` accept and refuse the same --trust-proxy.
  const trustProxy = (flags.trustProxy ?? []).map(checkCidr);
  const logLevel = (flags.logLevel ?? env.MINISCALE_LOG_LEVEL ?? 'info') as LevelWithSilent;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const nodes = flags.nodes ?? Math.max(2, os.availableParallelism());
  const wechat = wechatFrom(env);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES)
    throw new ConfigError(`--nodes must be an integer from 1 to ${MAX_NODES}`);
  return {
    port: flags.port ?? portFromEnv(env),
    // Dev mode signs anyone in as anyone (the emulator accepts every dev:NAME code), so
    // unless asked otherwise it is reachable from this machine only.
    host: flags.host ?? (wechat === 'dev' ? DEV_MODE_HOST : DEFAULTS.listen.host),
    nodes,
    store,
    storeUrl: flags.storeUrl,
    dataDir: path.resolve(flags.data ?? DEFAULT_DATA_DIR),
    gateway: flags.gateway ?? false,
    algorithm,
    trustProxy,
    advertise,
    logLevel,
    accessLog: flags.accessLog ?? true,
    wechat,
    adminKeyFromEnv: env.MINISCALE_ADMIN_KEY || undefined,
  };
}

/**
 * A URL other machines can connect to, on a store they share: the embedded store is one
 * machine's, a launched local cluster listens on loopback, and an unspecified address
 * (0.0.0.0) or a default port names no machine.
 */
function checkAdvertise(flags: UpFlags, store: StoreDriverName): string {
  const url = checkUpstreamUrl(flags.advertise!, '--advertise');
  // Checked on the text: the URL parser drops a port that is the scheme's default.
  if (!/:\d+$/.test(url)) throw new ConfigError(`--advertise: "${flags.advertise}" needs an explicit port (http://HOST:PORT)`);
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === '0.0.0.0' || host === '::')
    throw new ConfigError(`--advertise: "${flags.advertise}" is an unspecified address; give the one other machines reach this one on`);
  if (store === 'embedded' || !flags.storeUrl)
    throw new ConfigError(
      '--advertise registers this machine in a store other machines share: it needs --store redis|redis-cluster with --store-url',
    );
  if (flags.gateway)
    throw new ConfigError(
      "--advertise registers the machine's public port for a gateway on another machine; it does not combine with --gateway",
    );
  return url;
}

/** Both or neither: half a WeChat configuration would silently log nobody in. */
function wechatFrom(env: Env): UpOptions['wechat'] {
  const { MINISCALE_WECHAT_APPID: appid, MINISCALE_WECHAT_SECRET: secret } = env;
  if (!appid && !secret) return 'dev';
  if (!appid || !secret)
    throw new ConfigError('set both MINISCALE_WECHAT_APPID and MINISCALE_WECHAT_SECRET, or neither (dev mode with the WeChat emulator)');
  return { appid, secret, apiBase: env.MINISCALE_WECHAT_API || undefined };
}
