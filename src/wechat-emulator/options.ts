/**
 * The emulator's settings, with WeChat's numbers as defaults. Everything is checked once,
 * at start, so a bad value fails `startWechatEmulator` (or the CLI) with a clear message.
 */
import type { Logger } from '../core/logging.js';
import { ConfigError } from '../core/errors.js';

/** Fixed development credentials, used when MINISCALE_WECHAT_APPID/SECRET are unset. */
export const DEV_APPID = 'wxdevappid000000';
export const DEV_SECRET = 'devsecret';

export interface WechatEmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  appid: string;
  secret: string;
  /** Lifetime of every access_token. @default 7200 (WeChat's) */
  tokenTtlSec?: number;
  /** A /cgi-bin/token token stops working this long after the next one is fetched. @default 300 */
  invalidateAfterSec?: number;
  /** jscode2session calls per user per minute before 45011. @default 100 (WeChat's) */
  loginLimitPerMinute?: number;
  /**
   * stable_token (normal mode) hands out a new token once the current one has less than
   * this left ("the platform renews the access_token 5 minutes early").
   * @default min(300, tokenTtlSec / 4) — short test TTLs keep the same proportions a
   * client refreshing at 3/4 of a token's life relies on.
   */
  stableRenewBeforeSec?: number;
  /** stable_token force_refresh: at most this often... @default 30 */
  forceRefreshIntervalSec?: number;
  /** ...and this many times a day, then 45009. @default 20 */
  forceRefreshPerDay?: number;
  /** How long a used login code is remembered (WeChat codes live 5 minutes). @default 600 */
  usedCodeMemorySec?: number;
  /** Answer `unionid` too, as for an app bound to an Open Platform account. @default true */
  unionid?: boolean;
  /** @default a pino logger tagged `wechat-emulator` */
  logger?: Logger;
}

export type ResolvedOptions = Required<Omit<WechatEmulatorOptions, 'logger'>> & { logger: Logger | undefined };

export function resolveOptions(opts: WechatEmulatorOptions): ResolvedOptions {
  if (!opts.appid) throw new ConfigError('the WeChat emulator needs an appid');
  if (!opts.secret) throw new ConfigError('the WeChat emulator needs a secret');
  const tokenTtlSec = int('tokenTtlSec', opts.tokenTtlSec, 7200, 1, 365 * 86_400);
  return {
    port: int('port', opts.port, 0, 0, 65535),
    host: opts.host ?? '127.0.0.1',
    appid: opts.appid,
    secret: opts.secret,
    tokenTtlSec,
    invalidateAfterSec: int('invalidateAfterSec', opts.invalidateAfterSec, 300, 0, 365 * 86_400),
    loginLimitPerMinute: int('loginLimitPerMinute', opts.loginLimitPerMinute, 100, 1, 1_000_000),
    stableRenewBeforeSec: num('stableRenewBeforeSec', opts.stableRenewBeforeSec, Math.min(300, tokenTtlSec / 4), 0, tokenTtlSec),
    forceRefreshIntervalSec: num('forceRefreshIntervalSec', opts.forceRefreshIntervalSec, 30, 0, 86_400),
    forceRefreshPerDay: int('forceRefreshPerDay', opts.forceRefreshPerDay, 20, 0, 1_000_000),
    usedCodeMemorySec: int('usedCodeMemorySec', opts.usedCodeMemorySec, 600, 1, 86_400),
    unionid: opts.unionid ?? true,
    logger: opts.logger,
  };
}

function num(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError(`WeChat emulator option ${name} must be a number from ${min} to ${max}, not ${String(value)}`);
  }
  return v;
}

function int(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = num(name, value, fallback, min, max);
  if (!Number.isInteger(v)) throw new ConfigError(`WeChat emulator option ${name} must be an integer, not ${v}`);
  return v;
}
