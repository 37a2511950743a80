/**
 * WeChat platform calls the server makes for the caller, with its central
 * access_token and the caller's session_key (which never reaches the client).
 */
import type { Caller } from './caller.js';
import type { RouteBody, RouteResponse } from './routes.js';

export type PhoneNumber = RouteResponse<'POST /v1/me/phone'>;
export type Decrypted = RouteResponse<'POST /v1/me/decrypt'>['data'];
export type TextCheck = RouteResponse<'POST /v1/security/text'>;
/** 1 profile, 2 comment (the server's default), 3 forum, 4 social log. */
export type TextScene = NonNullable<RouteBody<'POST /v1/security/text'>['scene']>;

export interface DecryptOptions {
  /** With `signature`: the server checks sha1(rawData + session_key) first (SIGNATURE_INVALID). */
  rawData?: string;
  signature?: string;
}

export interface WechatCalls {
  /** The phone number behind a `getPhoneNumber` button's code. */
  phone(code: string): Promise<PhoneNumber>;
  /** Data from `wx.getUserInfo`, `wx.getWeRunData` and the like, decrypted on the server with the session key. */
  decrypt(encryptedData: string, iv: string, options?: DecryptOptions): Promise<Decrypted>;
  /** WeChat's content check of text the user wrote. */
  checkText(content: string, options?: { scene?: TextScene }): Promise<TextCheck>;
}

export function wechatCalls(caller: Caller): WechatCalls {
  // None of these changes anything, so each may be sent twice (a used phone code sent
  // again is refused by WeChat, never applied twice).
  return {
    async phone(code) {
      const body: RouteBody<'POST /v1/me/phone'> = { code };
      return (await caller.call<PhoneNumber>({ method: 'POST', path: '/v1/me/phone', data: body, idempotent: true })).data;
    },
    async decrypt(encryptedData, iv, options = {}) {
      const body: RouteBody<'POST /v1/me/decrypt'> = { encryptedData, iv };
      if (options.rawData !== undefined) body.rawData = options.rawData;
      if (options.signature !== undefined) body.signature = options.signature;
      return (
        await caller.call<RouteResponse<'POST /v1/me/decrypt'>>({ method: 'POST', path: '/v1/me/decrypt', data: body, idempotent: true })
      ).data.data;
    },
    async checkText(content, options = {}) {
      const body: RouteBody<'POST /v1/security/text'> = { content };
      if (options.scene !== undefined) body.scene = options.scene;
      return (await caller.call<TextCheck>({ method: 'POST', path: '/v1/security/text', data: body, idempotent: true })).data;
    },
  };
}
