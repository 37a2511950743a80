/**
 * miniscale-wx: the mini program's client of a Miniscale backend. Sessions kept in wx
 * storage, a request queue within WeChat's 10 concurrent `wx.request`s, retries only
 * where a replay is safe, and errors with the API's stable codes.
 *
 *   const { createClient } = require('miniscale-wx');
 *   const client = createClient({ baseUrl: 'https://api.example.com' });
 *   const visits = await client.counters.incr('visits');
 */
export {
  createClient,
  DEFAULT_MAX_CONCURRENT,
  DEFAULT_STORAGE_KEY,
  DEFAULT_TIMEOUT_MS,
  type ClientOptions,
  type MiniscaleClient,
} from './client.js';
export { MiniscaleError, isMiniscaleError, type ClientErrorCode } from './errors.js';
export type { Answer, Method, RequestOptions } from './caller.js';
export type { Entry, PrivateKv, PublicKv, SetOptions, UpdateOptions } from './kv.js';
export type { BoardEntry, Boards, ScoreMode } from './leaderboards.js';
export type { Counters } from './counters.js';
export type { DecryptOptions, Decrypted, PhoneNumber, TextCheck, TextScene, WechatCalls } from './wechat.js';
export type { RetryOptions } from './retry.js';
export type { ApiRoutes } from './api-types.js';
export type { Wx } from './wx.js';
