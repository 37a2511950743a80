/**
 * Every WeChat call made with the central access_token goes through here, so each one
 * gets the same handling:
 * - 40001/42001 (the token refused): the keeper replaces it once for the whole system
 *   (access-token.ts) and the call is retried once with the new token;
 * - -1 (system busy): one retry after a short back-off with jitter;
 * - each attempt bounded by the client's timeout, so a call takes at most three attempts
 *   and one back-off;
 * - errcodes that mean something for the call become its typed errors, the rest 502;
 *   successful answers are checked (wechat-answers.ts) before anything is passed on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  isMiniscaleError,
  SubscriptionRefusedError,
  ValidationError,
  WechatBusyError,
  WechatCodeInvalidError,
  WechatRateLimitedError,
  WechatTokenRejectedError,
  WechatUserInactiveError,
} from '../../core/errors.js';
import type { Logger } from '../../core/logging.js';
import type { AccessTokenKeeper } from './access-token.js';
import {
  msgidOf,
  phoneNumberOf,
  textCheckOf,
  wxacodeImageOf,
  type PhoneNumber,
  type TextCheck,
  type WxacodeImage,
} from './wechat-answers.js';
import type { WechatClient, WechatJson } from './wechat-client.js';
import { errcodeOf, wechatError, type ErrcodeTable } from './wechat-errors.js';

/** Back-off before the one retry after "system busy", plus up to the same again in jitter. */
export const BUSY_RETRY_DELAY_MS = 200;
/** WeChat's limit on getwxacodeunlimit is per minute: a client may try again after it. */
const WXACODE_RETRY_AFTER_SEC = 60;

export type TextScene = 1 | 2 | 3 | 4;

export interface WxacodeRequest {
  scene: string;
  page?: string;
  width: number;
}

export interface SubscribeMessage {
  touser: string;
  template_id: string;
  page?: string;
  data: Record<string, { value: string }>;
  miniprogram_state: 'developer' | 'trial' | 'formal';
}

const PATHS = {
  callbackIp: '/cgi-bin/getcallbackip',
  phone: '/wxa/business/getuserphonenumber',
  textCheck: '/wxa/msg_sec_check',
  wxacode: '/wxa/getwxacodeunlimit',
  subscribeSend: '/cgi-bin/message/subscribe/send',
} as const;

const PHONE_ERRORS: ErrcodeTable = {
  40029: (text) => new WechatCodeInvalidError(`WeChat refused the phone number code (invalid, expired or used): ${text}`),
};
const TEXT_CHECK_ERRORS: ErrcodeTable = {
  40003: (text) =>
    new WechatUserInactiveError(
      `WeChat does not know this user as active (they must have used the mini program in the last 2 hours): ${text}`,
    ),
};
const WXACODE_ERRORS: ErrcodeTable = {
  45009: (text) => new WechatRateLimitedError(`WeChat's rate limit on mini program codes was reached: ${text}`, WXACODE_RETRY_AFTER_SEC),
  41030: (text) => new ValidationError(`page is not a page of the published mini program: ${text}`),
};
const SUBSCRIBE_ERRORS: ErrcodeTable = {
  43101: (text) => new SubscriptionRefusedError(`the user has not subscribed to this template (or used up the subscription): ${text}`),
  40003: (text) => new ValidationError(`touser is not an openid of this app: ${text}`),
  40037: (text) => new ValidationError(`template_id is not a template of this app: ${text}`),
  47003: (text) => new ValidationError(`data does not fit the template: ${text}`),
  41030: (text) => new ValidationError(`page is not a page of the published mini program: ${text}`),
};

/** Told of every call's outcome (`ok`, or the error code it ended with), for the node's metrics. */
export type OnWechatCall = (path: string, outcome: string) => void;

export class WechatPlatform {
  constructor(
    private readonly client: WechatClient,
    private readonly tokens: AccessTokenKeeper,
    private readonly log: Logger,
    private readonly onCall: OnWechatCall = () => {},
  ) {}

  /** `getcallbackip`: the cheapest call that needs an access_token; used to check the connection. */
  async callbackIps(): Promise<string[]> {
    return this.#withToken(PATHS.callbackIp, async (token) => {
      const json = succeeded(PATHS.callbackIp, await this.client.getWithToken(PATHS.callbackIp, token));
      const list = json.body.ip_list;
      if (!Array.isArray(list) || !list.every((ip) => typeof ip === 'string')) throw wechatError(PATHS.callbackIp, json.body);
      return list;
    });
  }

  /** `getuserphonenumber`: the phone number behind a `getPhoneNumber` button's code. */
  async phoneNumber(code: string): Promise<PhoneNumber> {
    return this.#postJson(PATHS.phone, { code }, PHONE_ERRORS, (json) => phoneNumberOf(json, this.client.appid));
  }

  /** `msg_sec_check` version 2, for text written by `openid`, in `scene`. */
  async checkText(openid: string, content: string, scene: TextScene): Promise<TextCheck> {
    return this.#postJson(PATHS.textCheck, { version: 2, openid, scene, content }, TEXT_CHECK_ERRORS, textCheckOf);
  }

  /** `getwxacodeunlimit`: the mini program code image, as WeChat sent it. */
  async wxacode(req: WxacodeRequest): Promise<WxacodeImage> {
    const body = { scene: req.scene, width: req.width, ...(req.page === undefined ? {} : { page: req.page }) };
    return this.#withToken(PATHS.wxacode, async (token) => {
      const answer = await this.client.postForBytes(PATHS.wxacode, token, body);
      if (answer.kind === 'json') throw wechatError(PATHS.wxacode, answer.json.body, WXACODE_ERRORS);
      return wxacodeImageOf(answer.contentType, answer.bytes);
    });
  }

  /** `subscribeMessage.send`; the msgid as its exact digits. */
  async sendSubscribeMessage(message: SubscribeMessage): Promise<string> {
    return this.#postJson(PATHS.subscribeSend, message, SUBSCRIBE_ERRORS, msgidOf);
  }

  /** A JSON call; `read` checks the successful answer and takes what is passed on. */
  #postJson<T>(path: string, body: unknown, table: ErrcodeTable, read: (json: WechatJson) => T): Promise<T> {
    return this.#withToken(path, async (token) => read(succeeded(path, await this.client.postWithToken(path, token, body), table)));
  }

  /** A call with the token, its retries, and its outcome counted. */
  async #withToken<T>(path: string, call: (token: string) => Promise<T>): Promise<T> {
    try {
      const result = await this.#attempts(call);
      this.onCall(path, 'ok');
      return result;
    } catch (err) {
      this.onCall(path, isMiniscaleError(err) ? err.code : 'INTERNAL');
      throw err;
    }
  }

  async #attempts<T>(call: (token: string) => Promise<T>): Promise<T> {
    let token = await this.tokens.get();
    let tokenRetried = false;
    let busyRetried = false;
    for (;;) {
      try {
        return await call(token);
      } catch (err) {
        if (err instanceof WechatTokenRejectedError && !tokenRetried) {
          tokenRetried = true;
          this.log.warn({ errcode: err.errcode }, 'WeChat refused the access_token; replacing it once and retrying');
          token = await this.tokens.replaceRejected(token);
          continue;
        }
        if (err instanceof WechatBusyError && !busyRetried) {
          busyRetried = true;
          this.log.info('WeChat answered "system busy"; retrying once');
          await sleep(BUSY_RETRY_DELAY_MS * (1 + Math.random()));
          continue;
        }
        throw err;
      }
    }
  }
}

/** The answer when its errcode says success (absent or 0), else the error it means. */
function succeeded(path: string, json: WechatJson, table: ErrcodeTable = {}): WechatJson {
  const errcode = errcodeOf(json.body);
  if (json.body.errcode !== undefined && errcode !== 0) throw wechatError(path, json.body, table);
  return json;
}
