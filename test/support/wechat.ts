/**
 * The WeChat emulator's test knobs, typed, for black-box tests of the WeChat routes:
 * what the emulator counted, errcodes to inject, and the stand-ins for what WeChat's
 * client does on the phone (a subscription tap, encrypted user data).
 */
import type { EmulatorStats, Endpoint } from '../../src/wechat-emulator/index.js';
import { call } from './api-nodes.js';

export async function emulatorStats(emulatorUrl: string): Promise<EmulatorStats> {
  return (await call<EmulatorStats>(emulatorUrl, 'GET', '/_emulator/stats')).body;
}

/** The next `times` calls to `endpoint` answer `errcode` (WeChat's errmsg for it). */
export async function injectErrcode(emulatorUrl: string, endpoint: Endpoint, errcode: number, times = 1): Promise<void> {
  const res = await call(emulatorUrl, 'POST', '/_emulator/fail', { json: { endpoint, errcode, times } });
  if (res.status !== 200) throw new Error(`could not inject ${errcode}: ${res.text}`);
}

/** Every token the emulator issued stops working now (42001 on the next call). */
export async function expireTokens(emulatorUrl: string): Promise<void> {
  await call(emulatorUrl, 'POST', '/_emulator/expire-tokens');
}

/** The user taps "allow" on a subscribe-message request for `templateId`. */
export async function subscribe(emulatorUrl: string, openid: string, templateId: string, times = 1): Promise<void> {
  const res = await call(emulatorUrl, 'POST', '/_emulator/subscribe', { json: { openid, template_id: templateId, times } });
  if (res.status !== 200) throw new Error(`could not subscribe: ${res.text}`);
}

export interface EncryptedUserData {
  encryptedData: string;
  iv: string;
  rawData: string;
  signature: string;
}

/** `data` as WeChat's client would hand it to the mini program, with the user's current session_key. */
export async function encryptForUser(
  emulatorUrl: string,
  openid: string,
  data: Record<string, unknown>,
  appid?: string,
): Promise<EncryptedUserData> {
  const res = await call<EncryptedUserData>(emulatorUrl, 'POST', '/_emulator/encrypt', {
    json: { openid, data, ...(appid ? { appid } : {}) },
  });
  if (res.status !== 200) throw new Error(`could not encrypt: ${res.text}`);
  return res.body;
}

/** Waits until the nodes have fetched their first token (each node starts its keeper at start-up). */
export async function tokenFetched(emulatorUrl: string, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while ((await emulatorStats(emulatorUrl)).stable_token === 0) {
    if (Date.now() - t0 > timeoutMs) throw new Error('no node fetched an access_token');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The session_key WeChat now shares with the server for this user (to look for leaks of it). */
export async function sessionKeyOf(emulatorUrl: string, openid: string): Promise<string> {
  const res = await call<{ session_key: string }>(emulatorUrl, 'GET', `/_emulator/session-key?openid=${encodeURIComponent(openid)}`);
  if (res.status !== 200) throw new Error(`no session_key: ${res.text}`);
  return res.body.session_key;
}

export interface SentMessage {
  msgid: string;
  touser: string;
  template_id: string;
  page: string | null;
  data: unknown;
  miniprogram_state: string;
}

export async function sentMessages(emulatorUrl: string): Promise<SentMessage[]> {
  return (await call<{ messages: SentMessage[] }>(emulatorUrl, 'GET', '/_emulator/sent-messages')).body.messages;
}

/** Sets the emulator's fault knobs (delayMs, failNext, dropNext); reset with `resetEmulator`. */
export async function setFaults(emulatorUrl: string, faults: { delayMs?: number; failNext?: number; dropNext?: number }): Promise<void> {
  await call(emulatorUrl, 'POST', '/_emulator/faults', { json: faults });
}

export async function resetEmulator(emulatorUrl: string): Promise<void> {
  await call(emulatorUrl, 'POST', '/_emulator/reset');
}
