/**
 * `createClient`: one client per mini program (create it once, e.g. in app.js), holding
 * the session, the request queue and the resource helpers.
 */
import { Caller, type Answer, type RequestOptions } from './caller.js';
import { counters, type Counters } from './counters.js';
import { MiniscaleError, isMiniscaleError } from './errors.js';
import { privateKv, publicKv, type PrivateKv, type PublicKv } from './kv.js';
import { boards, type Boards } from './leaderboards.js';
import { RequestQueue } from './queue.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';
import type { RouteResponse } from './routes.js';
import { Session, type StoredSession } from './session.js';
import { wechatCalls, type WechatCalls } from './wechat.js';
import { globalWx, type Wx } from './wx.js';

export interface ClientOptions {
  /** Where the API is, e.g. `https://api.example.com` (a domain listed in the mini program's request whitelist). */
  baseUrl: string;
  /** The mini program's `wx` (the global one by default). */
  wx?: Wx;
  /** `wx.request` calls in flight at most; WeChat allows 10. @default 10 */
  maxConcurrent?: number;
  /** The storage key the session is kept under. @default "miniscale.session" */
  storageKey?: string;
  /** Per attempt. @default 60000 (WeChat's own default) */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
}

export const DEFAULT_MAX_CONCURRENT = 10;
export const DEFAULT_STORAGE_KEY = 'miniscale.session';
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface MiniscaleClient extends WechatCalls {
  /** Signs in with `wx.login` (other calls do it themselves when needed). */
  login(): Promise<{ openid: string; expiresAt: string }>;
  /** Revokes the session on the server and forgets it here. */
  logout(): Promise<void>;
  /** The signed-in user's openid, if a session is stored. */
  readonly openid: string | undefined;
  kv: PrivateKv;
  publicKv: PublicKv;
  counters: Counters;
  boards: Boards;
  /** Any route, with the same session, queue and retries. Rejects with MiniscaleError on 4xx/5xx. */
  request<T = unknown>(options: RequestOptions): Promise<Answer<T>>;
}

type LoginAnswer = RouteResponse<'POST /v1/auth/login'>;

export function createClient(options: ClientOptions): MiniscaleClient {
  const wx = options.wx ?? globalWx();
  if (!wx) throw new TypeError('miniscale-wx: no wx object (pass options.wx outside the mini program runtime)');
  if (typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl))
    throw new TypeError('miniscale-wx: baseUrl must be an http(s) URL');
  const maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
  if (!(maxConcurrent >= 1)) throw new TypeError('miniscale-wx: maxConcurrent must be at least 1');
  const caller = new Caller({
    wx,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    queue: new RequestQueue(maxConcurrent),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry: Object.assign({}, DEFAULT_RETRY, options.retry),
  });
  const session = new Session(wx, options.storageKey ?? DEFAULT_STORAGE_KEY, () => signIn(wx, caller));
  caller.tokens = session;
  return {
    async login() {
      const s = await session.login();
      return { openid: s.openid, expiresAt: s.expiresAt };
    },
    async logout() {
      const stored = session.stored();
      if (!stored) return;
      try {
        await caller.call({ method: 'POST', path: '/v1/auth/logout', header: { authorization: `Bearer ${stored.token}` }, auth: false });
      } catch (err) {
        // Already revoked or expired on the server: signed out either way.
        if (!isMiniscaleError(err) || err.code !== 'UNAUTHENTICATED') throw err;
      } finally {
        session.clear();
      }
    },
    get openid() {
      return session.stored()?.openid;
    },
    kv: privateKv(caller),
    publicKv: publicKv(caller),
    counters: counters(caller),
    boards: boards(caller),
    ...wechatCalls(caller),
    request: (req) => caller.call(req),
  };
}

/** `wx.login` for a one-time code, traded for a session at `POST /v1/auth/login`. */
async function signIn(wx: Wx, caller: Caller): Promise<StoredSession> {
  const code = await new Promise<string>((resolve, reject) =>
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new MiniscaleError('LOGIN_FAILED', 'wx.login gave no code'))),
      fail: (err) => reject(new MiniscaleError('LOGIN_FAILED', `wx.login failed: ${err.errMsg}`)),
    }),
  );
  const answer = await caller.call<LoginAnswer>({ method: 'POST', path: '/v1/auth/login', data: { code }, auth: false });
  return { token: answer.data.token, openid: answer.data.openid, expiresAt: answer.data.expiresAt };
}
