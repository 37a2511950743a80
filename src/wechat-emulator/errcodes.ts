/**
 * WeChat's error answers, as the emulator gives them.
 *
 * WeChat answers errors with HTTP 200 and `{"errcode": N, "errmsg": "..."}`; clients must
 * branch on `errcode` only. Real `errmsg` texts end with a request id (`rid: ...`) that
 * changes on every call, so the emulator appends one too — a client that compares whole
 * messages breaks here as it would against WeChat.
 *
 * Codes and texts are those of WeChat's documentation (code2Session, getAccessToken,
 * getStableAccessToken, the global return-code table) and of answers seen in the wild:
 * - 40029 "invalid code", 40163 "code been used", 40226 "code blocked",
 *   45011 "api minute-quota reach limit mustslower retry next minute", -1 "system error"
 *   (developers.weixin.qq.com/miniprogram/dev/server/API/user-login/api_code2session);
 * - 40013 "invalid appid", 40125 "invalid appsecret", 40002 "invalid grant_type",
 *   41002 "appid missing", 41004 "appsecret missing", 41008 "missing code";
 * - 40001 "invalid credential, access_token is invalid or not latest" and
 *   42001 "access_token expired" from any API called with a token; 41001 when absent;
 * - 45009 "reach max api daily quota limit" (stable_token force_refresh: 20 a day;
 *   getwxacodeunlimit's rate limit answers the same code);
 * - getuserphonenumber: 40029 for a phone code that is invalid, expired or used;
 * - msg_sec_check (version 2): 40003 invalid openid (not a user active in the last 2
 *   hours), 40129 scene not 1-4, 44002 empty parameter, 47001 data format;
 * - getwxacodeunlimit: 40169 scene invalid, 41030 page not in the published mini
 *   program, 40097 env_version invalid, 40189 width invalid (as wxacode.get documents);
 * - subscribeMessage.send: 40003 touser invalid, 40037 template_id invalid,
 *   43101 "user refuse to accept the msg", 47003 "argument invalid!" (data).
 */
import { randomBytes } from 'node:crypto';

export const ERR = {
  SYSTEM_BUSY: { errcode: -1, errmsg: 'system error' },
  INVALID_OPENID: { errcode: 40003, errmsg: 'invalid openid' },
  INVALID_TEMPLATE_ID: { errcode: 40037, errmsg: 'invalid template_id' },
  INVALID_ENV_VERSION: { errcode: 40097, errmsg: 'invalid args' },
  INVALID_SCENE: { errcode: 40129, errmsg: 'invalid scene' },
  INVALID_WXACODE_SCENE: { errcode: 40169, errmsg: 'invalid length for scene, or the data is not json string' },
  INVALID_WIDTH: { errcode: 40189, errmsg: 'invalid width' },
  INVALID_PAGE: { errcode: 41030, errmsg: 'invalid page' },
  USER_REFUSED: { errcode: 43101, errmsg: 'user refuse to accept the msg' },
  EMPTY_PARAMETER: { errcode: 44002, errmsg: 'empty post data' },
  ARGUMENT_INVALID: { errcode: 47003, errmsg: 'argument invalid!' },
  INVALID_CREDENTIAL: {
    errcode: 40001,
    errmsg: 'invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken',
  },
  INVALID_GRANT_TYPE: { errcode: 40002, errmsg: 'invalid grant_type' },
  INVALID_APPID: { errcode: 40013, errmsg: 'invalid appid' },
  INVALID_CODE: { errcode: 40029, errmsg: 'invalid code' },
  INVALID_APPSECRET: { errcode: 40125, errmsg: 'invalid appsecret' },
  CODE_USED: { errcode: 40163, errmsg: 'code been used' },
  CODE_BLOCKED: { errcode: 40226, errmsg: 'code blocked' },
  ACCESS_TOKEN_MISSING: { errcode: 41001, errmsg: 'access_token missing' },
  APPID_MISSING: { errcode: 41002, errmsg: 'appid missing' },
  APPSECRET_MISSING: { errcode: 41004, errmsg: 'appsecret missing' },
  CODE_MISSING: { errcode: 41008, errmsg: 'missing code' },
  ACCESS_TOKEN_EXPIRED: { errcode: 42001, errmsg: 'access_token expired' },
  REQUIRE_GET: { errcode: 43001, errmsg: 'require GET method' },
  REQUIRE_POST: { errcode: 43002, errmsg: 'require POST method' },
  DAILY_QUOTA: { errcode: 45009, errmsg: 'reach max api daily quota limit' },
  MINUTE_QUOTA: { errcode: 45011, errmsg: 'api minute-quota reach limit mustslower retry next minute' },
  DATA_FORMAT: { errcode: 47001, errmsg: 'data format error' },
} as const;

export type WechatErr = { readonly errcode: number; readonly errmsg: string };

/** WeChat's errmsg for an errcode, for errors injected by number (`/_emulator/fail`). */
export function errOf(errcode: number): WechatErr {
  return Object.values(ERR).find((e) => e.errcode === errcode) ?? { errcode, errmsg: 'injected error' };
}

/** The JSON body of an error answer. */
export interface WechatErrorBody {
  errcode: number;
  errmsg: string;
}

/**
 * Thrown by the emulator's handlers; the server turns it into WeChat's error body
 * (HTTP 200). Anything else thrown is an emulator bug and becomes an HTTP 500.
 */
export class WechatApiError extends Error {
  readonly errcode: number;

  constructor(readonly err: WechatErr) {
    super(`${err.errcode} ${err.errmsg}`);
    this.name = 'WechatApiError';
    this.errcode = err.errcode;
  }

  toBody(): WechatErrorBody {
    return { errcode: this.err.errcode, errmsg: `${this.err.errmsg} rid: ${requestId()}` };
  }
}

/** A request id shaped like WeChat's: epoch seconds in hex, then two random groups. */
function requestId(): string {
  const hex = randomBytes(8).toString('hex');
  return `${Math.floor(Date.now() / 1000).toString(16)}-${hex.slice(0, 8)}-${hex.slice(8)}`;
}
