/**
 * Shared pieces of the emulator tests: in-process emulators that are all closed in
 * `closeAll`, and typed calls in WeChat's shapes.
 */
import { request } from 'undici';
import { createLogger } from '../../src/core/logging.js';
import {
  startWechatEmulator,
  type EmulatorStats,
  type WechatEmulator,
  type WechatEmulatorOptions,
} from '../../src/wechat-emulator/index.js';

export const APPID = 'wxemutestappid01';
export const SECRET = 'emu-test-secret';

/** Every field WeChat may answer on these endpoints; the absent ones are undefined. */
export interface WxBody {
  errcode?: number;
  errmsg?: string;
  openid?: string;
  session_key?: string;
  unionid?: string;
  access_token?: string;
  expires_in?: number;
  ip_list?: string[];
}

const running: WechatEmulator[] = [];

export async function startEmu(opts: Partial<WechatEmulatorOptions> = {}): Promise<WechatEmulator> {
  const emu = await startWechatEmulator({
    port: 0,
    appid: APPID,
    secret: SECRET,
    logger: createLogger({ component: 'wechat-emulator', level: 'silent' }),
    ...opts,
  });
  running.push(emu);
  return emu;
}

export async function closeAll(): Promise<void> {
  await Promise.all(running.splice(0).map((e) => e.close()));
}

export async function getJson<T = WxBody>(
  base: string,
  path: string,
  query: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const qs = new URLSearchParams(query).toString();
  const res = await request(`${base}${path}${qs ? `?${qs}` : ''}`);
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

export async function postJson<T = WxBody>(base: string, path: string, json?: unknown, raw?: string): Promise<{ status: number; body: T }> {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? (json === undefined ? '' : JSON.stringify(json)),
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

/** jscode2session with the right credentials unless overridden. */
export async function login(base: string, code: string, override: Record<string, string> = {}): Promise<WxBody> {
  const { status, body } = await getJson(base, '/sns/jscode2session', {
    appid: APPID,
    secret: SECRET,
    js_code: code,
    grant_type: 'authorization_code',
    ...override,
  });
  if (status !== 200) throw new Error(`jscode2session answered HTTP ${status}`);
  return body;
}

export async function token(base: string, override: Record<string, string> = {}): Promise<WxBody> {
  return (await getJson(base, '/cgi-bin/token', { grant_type: 'client_credential', appid: APPID, secret: SECRET, ...override })).body;
}

export async function stableToken(base: string, forceRefresh?: boolean, override: Record<string, unknown> = {}): Promise<WxBody> {
  const json = {
    grant_type: 'client_credential',
    appid: APPID,
    secret: SECRET,
    ...(forceRefresh === undefined ? {} : { force_refresh: forceRefresh }),
    ...override,
  };
  return (await postJson(base, '/cgi-bin/stable_token', json)).body;
}

/** The errcode a token gets from an API that needs one (0 when it works). */
export async function tokenErrcode(base: string, accessToken: string): Promise<number> {
  const { body } = await getJson(base, '/cgi-bin/getcallbackip', { access_token: accessToken });
  if (Array.isArray(body.ip_list)) return 0;
  return body.errcode ?? -999;
}

export async function stats(base: string): Promise<EmulatorStats> {
  return (await getJson<EmulatorStats>(base, '/_emulator/stats')).body;
}
