/**
 * The WeChat endpoints themselves, as functions of their parameters: each returns the
 * success body or throws a WechatApiError with WeChat's errcode for what went wrong.
 * Parameters are checked in this order: missing ones (41002 appid, 41004 secret,
 * 41008 js_code), then grant_type (40002), then the credentials (40013 appid,
 * 40125 secret), then the code or token itself.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ERR, WechatApiError } from './errcodes.js';
import type { Code2SessionResult, LoginBook } from './logins.js';
import type { TokenBook, TokenGrant } from './tokens.js';

export type Params = Record<string, unknown>;

export interface Credentials {
  appid: string;
  secret: string;
}

/** Sample callback addresses, shaped like WeChat's answer (CIDR blocks). */
const CALLBACK_IPS = ['101.226.62.0/24', '101.226.103.0/25', '140.207.54.0/24', '183.3.234.0/25'];

/** `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code` */
export function code2Session(q: Params, creds: Credentials, logins: LoginBook): Code2SessionResult {
  const code = str(q.js_code);
  requireCredentialParams(q);
  if (!code) throw new WechatApiError(ERR.CODE_MISSING);
  checkCredentials(q, creds, 'authorization_code');
  return logins.exchange(code);
}

/** `GET /cgi-bin/token?grant_type=client_credential&appid&secret` */
export function getAccessToken(q: Params, creds: Credentials, tokens: TokenBook): TokenGrant {
  requireCredentialParams(q);
  checkCredentials(q, creds, 'client_credential');
  return tokens.issueToken();
}

/** `POST /cgi-bin/stable_token` with JSON `{grant_type, appid, secret, force_refresh?}` */
export function getStableAccessToken(body: Params, creds: Credentials, tokens: TokenBook): TokenGrant {
  requireCredentialParams(body);
  checkCredentials(body, creds, 'client_credential');
  const force = body.force_refresh ?? false;
  if (typeof force !== 'boolean') throw new WechatApiError(ERR.DATA_FORMAT);
  return tokens.stableToken(force);
}

/** `GET /cgi-bin/getcallbackip?access_token=T`: the cheapest API that checks a token. */
export function getCallbackIp(q: Params, tokens: TokenBook): { ip_list: string[] } {
  tokens.check(str(q.access_token));
  return { ip_list: [...CALLBACK_IPS] };
}

function requireCredentialParams(p: Params): void {
  if (!str(p.appid)) throw new WechatApiError(ERR.APPID_MISSING);
  if (!str(p.secret)) throw new WechatApiError(ERR.APPSECRET_MISSING);
}

function checkCredentials(p: Params, creds: Credentials, grantType: string): void {
  if (str(p.grant_type) !== grantType) throw new WechatApiError(ERR.INVALID_GRANT_TYPE);
  if (str(p.appid) !== creds.appid) throw new WechatApiError(ERR.INVALID_APPID);
  if (!sameSecret(str(p.secret) ?? '', creds.secret)) throw new WechatApiError(ERR.INVALID_APPSECRET);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Constant-time, like any secret check should be (hashing first evens the lengths). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
