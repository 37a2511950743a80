/**
 * The WeChat calls a server makes with its access_token on a user's behalf, as functions
 * of their JSON body: each returns the success answer or throws a WechatApiError with
 * WeChat's errcode. The token (query `access_token`) is checked by the server first
 * (41001/40001/42001), as for every API that takes one.
 *
 * What decides an answer, beyond WeChat's own rules (the README lists them):
 * - getuserphonenumber: `devphone:` codes (phone-codes.ts);
 * - msg_sec_check: the openid must have logged in within the last 2 hours (40003);
 *   content containing `[risky]` is risky, `[review]` needs review, the rest passes;
 * - getwxacodeunlimit: a page whose first segment is `unpublished` is not in the
 *   published mini program (41030, when check_path is on, as it is by default);
 * - subscribeMessage.send: consent given through `/_emulator/subscribe` (subscriptions.ts).
 */
import { randomBytes } from 'node:crypto';
import { ERR, WechatApiError } from './errcodes.js';
import type { LoginBook } from './logins.js';
import type { PhoneCodes, PhoneInfo } from './phone-codes.js';
import type { Subscriptions } from './subscriptions.js';
import { wxacodeJpeg } from './wxacode-image.js';

export type Body = Record<string, unknown>;

/** An answer that is not a JSON object built by JSON.stringify: image bytes, or JSON with an int64. */
export class RawAnswer {
  constructor(
    readonly contentType: string,
    readonly bytes: Buffer,
  ) {}
}

export interface PlatformBooks {
  logins: LoginBook;
  phoneCodes: PhoneCodes;
  subscriptions: Subscriptions;
}

/** msg_sec_check version 2 needs a user who used the mini program in the last 2 hours. */
export const ACTIVE_USER_MS = 2 * 3600 * 1000;
/** WeChat's limit on msg_sec_check content: 2500 characters. */
const MAX_TEXT_CHARS = 2500;
const WXACODE_SCENE = /^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,32}$/;
const ENV_VERSIONS = new Set(['release', 'trial', 'develop']);
const PROGRAM_STATES = new Set(['developer', 'trial', 'formal']);
const LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);
/** Labels of msg_sec_check: 100 normal, 20001 political, 21000 other. */
const LABEL = { normal: 100, risky: 20001, review: 21000 } as const;

/** `POST /wxa/business/getuserphonenumber` `{code}` */
export function getUserPhoneNumber(body: Body, books: PlatformBooks): { errcode: 0; errmsg: 'ok'; phone_info: PhoneInfo } {
  const code = body.code;
  if (typeof code !== 'string' || code.length === 0) throw new WechatApiError(ERR.CODE_MISSING);
  return { errcode: 0, errmsg: 'ok', phone_info: books.phoneCodes.exchange(code) };
}

/** `POST /wxa/msg_sec_check` `{version: 2, openid, scene, content, nickname?, title?, signature?}` */
export function msgSecCheck(body: Body, books: PlatformBooks): object {
  const { version, openid, scene, content } = body;
  if (version !== 2 && version !== '2') throw new WechatApiError(ERR.DATA_FORMAT);
  if (typeof content !== 'string' || content.length === 0 || typeof openid !== 'string' || openid.length === 0)
    throw new WechatApiError(ERR.EMPTY_PARAMETER);
  if (typeof scene !== 'number' || ![1, 2, 3, 4].includes(scene)) throw new WechatApiError(ERR.INVALID_SCENE);
  if ([...content].length > MAX_TEXT_CHARS) throw new WechatApiError(ERR.DATA_FORMAT);
  if (!books.logins.isActive(openid, ACTIVE_USER_MS)) throw new WechatApiError(ERR.INVALID_OPENID);
  const suggest = content.includes('[risky]') ? 'risky' : content.includes('[review]') ? 'review' : 'pass';
  const label = suggest === 'pass' ? LABEL.normal : LABEL[suggest];
  return {
    errcode: 0,
    errmsg: 'ok',
    detail: [
      { strategy: 'content_model', errcode: 0, suggest, label, prob: suggest === 'pass' ? 0 : 90 },
      { strategy: 'keyword', errcode: 0 },
    ],
    trace_id: traceId(),
    result: { suggest, label },
  };
}

/** `POST /wxa/getwxacodeunlimit` `{scene, page?, check_path?, env_version?, width?, ...}` → JPEG bytes */
export function getWxacodeUnlimit(body: Body): RawAnswer {
  const { scene, page, check_path: checkPath = true, env_version: envVersion = 'release', width = 430 } = body;
  if (typeof scene !== 'string' || !WXACODE_SCENE.test(scene)) throw new WechatApiError(ERR.INVALID_WXACODE_SCENE);
  if (page !== undefined && (typeof page !== 'string' || page.startsWith('/') || page.includes('?')))
    throw new WechatApiError(ERR.INVALID_PAGE);
  if (typeof envVersion !== 'string' || !ENV_VERSIONS.has(envVersion)) throw new WechatApiError(ERR.INVALID_ENV_VERSION);
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 280 || width > 1280) throw new WechatApiError(ERR.INVALID_WIDTH);
  if (checkPath !== false && typeof page === 'string' && page.split('/')[0] === 'unpublished') throw new WechatApiError(ERR.INVALID_PAGE);
  const params = `scene=${scene};page=${typeof page === 'string' ? page : ''};width=${width};env_version=${envVersion}`;
  return new RawAnswer('image/jpeg', wxacodeJpeg(params));
}

/** `POST /cgi-bin/message/subscribe/send` `{touser, template_id, page?, data, miniprogram_state?, lang?}` */
export function sendSubscribeMessage(body: Body, books: PlatformBooks): RawAnswer {
  const { touser, template_id: templateId, page, data, miniprogram_state: state = 'formal', lang = 'zh_CN' } = body;
  if (typeof touser !== 'string' || !books.logins.knows(touser)) throw new WechatApiError(ERR.INVALID_OPENID);
  if (typeof templateId !== 'string' || templateId.length === 0) throw new WechatApiError(ERR.INVALID_TEMPLATE_ID);
  if (page !== undefined && typeof page !== 'string') throw new WechatApiError(ERR.ARGUMENT_INVALID);
  if (typeof state !== 'string' || !PROGRAM_STATES.has(state) || typeof lang !== 'string' || !LANGS.has(lang))
    throw new WechatApiError(ERR.DATA_FORMAT);
  if (!isTemplateData(data)) throw new WechatApiError(ERR.ARGUMENT_INVALID);
  const msgid = books.subscriptions.consume(touser, templateId);
  books.subscriptions.record({
    msgid: msgid.toString(),
    touser,
    template_id: templateId,
    page: page ?? null,
    data,
    miniprogram_state: state,
  });
  // Written by hand: JSON.stringify cannot write a 64-bit integer, which is what WeChat sends.
  return new RawAnswer('application/json; encoding=utf-8', Buffer.from(`{"errcode":0,"errmsg":"ok","msgid":${msgid}}`));
}

/** `{"thing1": {"value": "..."}, ...}`: at least one key, each with a non-empty value. */
function isTemplateData(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const entries = Object.values(data);
  return (
    entries.length > 0 &&
    entries.every((e) => {
      const value = (e as { value?: unknown } | null)?.value;
      return (typeof value === 'string' && value.length > 0) || typeof value === 'number';
    })
  );
}

function traceId(): string {
  const hex = randomBytes(8).toString('hex');
  return `${Math.floor(Date.now() / 1000).toString(16)}-${hex.slice(0, 8)}-${hex.slice(8)}`;
}
