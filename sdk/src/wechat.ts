/**
 * WeChat platform calls the server makes for the caller, with its central
 * access_token and the caller's session_key (which never reaches the client).
 */
import type { Caller } from './caller.js';
import type { ResponseOrContract } from './routes.js';

export type PhoneNumber = ResponseOrContract<'POST /v1/me/phone', { phoneNumber: string; purePhoneNumber: string; countryCode: string }>;
export type Decrypted = ResponseOrContract<'POST /v1/me/decrypt', { data: unknown }>;
export type TextCheck = ResponseOrContract<'POST /v1/security/text', { suggest: 'pass' | 'review' | 'risky'; label: number }>;
/** 1 profile, 2 comment (the default), 3 forum, 4 social log. */
export type TextScene = 1 | 2 | 3 | 4;

export interface WechatCalls {
  /** The phone number behind a `getPhoneNumber` button's code. */
  phone(code: string): Promise<PhoneNumber>;
  /** Data from `wx.getUserInfo` and the like, decrypted on the server with the session key. */
  decrypt(encryptedData: string, iv: string): Promise<Decrypted['data']>;
  /** WeChat's content check of text the user wrote. */
  checkText(content: string, options?: { scene?: TextScene }): Promise<TextCheck>;
}

export function wechatCalls(caller: Caller): WechatCalls {
  // All three only read: safe to send twice (a phone code is single-use, but a replay
  // of a used one is refused by WeChat, never applied twice).
  return {
    async phone(code) {
      return (await caller.call<PhoneNumber>({ method: 'POST', path: '/v1/me/phone', data: { code }, idempotent: true })).data;
    },
    async decrypt(encryptedData, iv) {
      return (await caller.call<Decrypted>({ method: 'POST', path: '/v1/me/decrypt', data: { encryptedData, iv }, idempotent: true })).data.data;
    },
    async checkText(content, options = {}) {
      const data = options.scene === undefined ? { content } : { content, scene: options.scene };
      return (await caller.call<TextCheck>({ method: 'POST', path: '/v1/security/text', data, idempotent: true })).data;
    },
  };
}
