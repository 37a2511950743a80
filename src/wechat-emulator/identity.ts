/**
 * Who a login code belongs to. Real codes come from `wx.login` on a phone; the emulator
 * accepts made-up ones instead: `dev:NAME` or `dev:NAME:ANYTHING`. NAME is the user;
 * ANYTHING makes each code unique, since every code works only once.
 *
 * An openid is per app in WeChat (the same person has different openids in different mini
 * programs) and a unionid is per Open Platform account (the same across its apps), so the
 * openid is derived from appid + NAME and the unionid from NAME alone. Both look like
 * WeChat's: 28 characters, starting with `o`, from the base64url alphabet.
 */
import { createHash, randomBytes } from 'node:crypto';

/** WeChat codes are 32 characters; this is generous and keeps the used-code set small. */
export const MAX_CODE_LENGTH = 256;
const NAME_RE = /^[^:\s\p{Cc}]{1,128}$/u;
/** A NAME starting with this is a "high-risk user": jscode2session answers 40226. */
export const BLOCKED_PREFIX = 'blocked';

/** The user NAME of a dev code, or null when the code is not one (→ 40029). */
export function devCodeUser(code: string): string | null {
  if (code.length > MAX_CODE_LENGTH || !code.startsWith('dev:')) return null;
  const rest = code.slice(4);
  const colon = rest.indexOf(':');
  const name = colon === -1 ? rest : rest.slice(0, colon);
  return NAME_RE.test(name) ? name : null;
}

/** The openid WeChat would give user NAME in app `appid`; the same on every run. */
export function devOpenid(appid: string, name: string): string {
  return wechatId(`openid\0${appid}\0${name}`);
}

/** The unionid of user NAME: the same for every app. */
export function devUnionid(name: string): string {
  return wechatId(`unionid\0${name}`);
}

/** A new session_key: WeChat's are base64 of 16 random bytes (24 characters). */
export function newSessionKey(): string {
  return randomBytes(16).toString('base64');
}

function wechatId(seed: string): string {
  return `o${createHash('sha256').update(seed).digest('base64url').slice(0, 27)}`;
}
