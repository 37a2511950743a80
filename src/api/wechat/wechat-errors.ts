/**
 * WeChat's errcodes, turned into our typed errors in one place. WeChat answers errors
 * with HTTP 200 and `{errcode, errmsg}`; an errcode means different things on different
 * calls (40029 is a bad login code on jscode2session and a bad phone code on
 * getuserphonenumber), so each call passes its own table and the codes every call shares
 * are decided here.
 */
import { MiniscaleError, UpstreamUnavailableError, WechatBusyError, WechatTokenRejectedError } from '../../core/errors.js';

export interface WechatErrorBody {
  errcode?: unknown;
  errmsg?: unknown;
}

/** What a call does with the errcodes that mean something for it. */
export type ErrcodeTable = Readonly<Record<number, (text: string) => MiniscaleError>>;

export const ERRCODE_TOKEN_INVALID = 40001;
export const ERRCODE_TOKEN_EXPIRED = 42001;
export const ERRCODE_BUSY = -1;

/** The errcode of an answer, or undefined when it has none (or a malformed one). */
export function errcodeOf(body: WechatErrorBody): number | undefined {
  return typeof body.errcode === 'number' && Number.isInteger(body.errcode) ? body.errcode : undefined;
}

/**
 * The error for a WeChat answer that is not the success it should be. Codes the call
 * does not name — our appid/secret refused (40013/40125), quotas, anything new — are
 * nothing the client can fix: the upstream failed (502). WeChat's errmsg goes into the
 * message of those for the log only (the error handler never shows a 5xx message to
 * clients); the 4xx errors a call names carry the errcode alone.
 */
export function wechatError(path: string, body: WechatErrorBody, table: ErrcodeTable = {}): MiniscaleError {
  const errcode = errcodeOf(body);
  const errmsg = typeof body.errmsg === 'string' ? body.errmsg.slice(0, 200) : '';
  const text =
    errcode === undefined
      ? `an answer without errcode from ${path}`
      : `WeChat errcode ${errcode} from ${path}${errmsg ? ` (${errmsg})` : ''}`;
  if (errcode === undefined || errcode === 0) return new UpstreamUnavailableError(`${text}: not the answer expected`);
  // A client sees these messages: the errcode, and none of WeChat's own text.
  const specific = table[errcode];
  if (specific) return specific(`WeChat errcode ${errcode}`);
  switch (errcode) {
    case ERRCODE_TOKEN_INVALID:
    case ERRCODE_TOKEN_EXPIRED:
      return new WechatTokenRejectedError(errcode, `WeChat rejected the access_token: ${text}`);
    case ERRCODE_BUSY:
      return new WechatBusyError(`WeChat is busy: ${text}`);
    default:
      return new UpstreamUnavailableError(`WeChat API error: ${text}`);
  }
}
