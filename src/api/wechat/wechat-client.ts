/**
 * Calls to WeChat's server API over a keep-alive pool, with timeouts on every call.
 * WeChat answers errors with HTTP 200 and `{errcode, errmsg}`; `fromErrcode` is the one
 * place that turns those into our typed errors.
 */
import { Agent, request } from 'undici';
import { MiniscaleError } from '../../errors.js';
import {
  AuthCodeInvalidError, AuthRateLimitedError, AuthUserBlockedError, UpstreamUnavailableError,
} from '../errors.js';

export interface WechatClientOptions {
  apiBase: string;
  appid: string;
  secret: string;
  timeoutMs: number;
}

export interface WechatSession {
  openid: string;
  /** Secret shared with this user's WeChat client; never sent to the mini program. */
  sessionKey: string;
  unionid?: string;
}

export interface WechatToken {
  accessToken: string;
  expiresInSec: number;
}

/** WeChat said the access_token is invalid (40001) or expired (42001). */
export class WechatTokenRejectedError extends MiniscaleError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  constructor(readonly errcode: number, message: string) {
    super(message);
  }
}

interface WechatError { errcode?: number; errmsg?: string }

export class WechatClient {
  readonly #opts: WechatClientOptions;
  readonly #agent: Agent;

  constructor(opts: WechatClientOptions) {
    this.#opts = opts;
    this.#agent = new Agent({ keepAliveTimeout: 4_000, connections: 32 });
  }

  /** `jscode2session`: exchanges a wx.login code for the user's openid and session_key. */
  async code2Session(code: string): Promise<WechatSession> {
    const body = await this.#call<WechatError & { openid?: string; session_key?: string; unionid?: string }>('GET', '/sns/jscode2session', {
      appid: this.#opts.appid, secret: this.#opts.secret, js_code: code, grant_type: 'authorization_code',
    });
    if (!body.openid || !body.session_key) throw fromErrcode(body);
    return { openid: body.openid, sessionKey: body.session_key, ...(body.unionid ? { unionid: body.unionid } : {}) };
  }

  /**
   * `stable_token`: unlike `/cgi-bin/token`, fetching it does not invalidate the token
   * other servers hold. `forceRefresh` asks for a new one (WeChat allows that 20 times a day).
   */
  async stableToken(forceRefresh: boolean): Promise<WechatToken> {
    const body = await this.#call<WechatError & { access_token?: string; expires_in?: number }>('POST', '/cgi-bin/stable_token', {}, {
      grant_type: 'client_credential', appid: this.#opts.appid, secret: this.#opts.secret, force_refresh: forceRefresh,
    });
    if (!body.access_token || typeof body.expires_in !== 'number') throw fromErrcode(body);
    return { accessToken: body.access_token, expiresInSec: body.expires_in };
  }

  /** `getcallbackip`: the cheapest call that needs an access_token; used to check one. */
  async callbackIps(accessToken: string): Promise<string[]> {
    const body = await this.#call<WechatError & { ip_list?: string[] }>('GET', '/cgi-bin/getcallbackip', { access_token: accessToken });
    if (!Array.isArray(body.ip_list)) throw fromErrcode(body);
    return body.ip_list;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #call<T>(method: 'GET' | 'POST', path: string, query: Record<string, string>, json?: unknown): Promise<T> {
    const url = `${this.#opts.apiBase}${path}?${new URLSearchParams(query).toString()}`;
    let res;
    try {
      res = await request(url, {
        method,
        dispatcher: this.#agent,
        headersTimeout: this.#opts.timeoutMs,
        bodyTimeout: this.#opts.timeoutMs,
        signal: AbortSignal.timeout(this.#opts.timeoutMs),
        ...(json === undefined ? {} : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
      });
    } catch (err) {
      throw new UpstreamUnavailableError(`WeChat API did not answer ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new UpstreamUnavailableError(`WeChat API answered ${path} with HTTP ${res.statusCode}`);
    }
    try {
      return (await res.body.json()) as T;
    } catch (err) {
      throw new UpstreamUnavailableError(`WeChat API answered ${path} with a body that is not JSON`, { cause: err });
    }
  }
}

/** WeChat's documented errcodes, mapped to what our clients can act on. */
export function fromErrcode(body: WechatError): MiniscaleError {
  const errcode = body.errcode ?? -2;
  const text = `WeChat errcode ${errcode}${body.errmsg ? ` (${body.errmsg})` : ''}`;
  switch (errcode) {
    case 40029: // invalid code
    case 40163: // code been used
      return new AuthCodeInvalidError(`the login code was rejected: ${text}`);
    case 40226: // high-risk user
      return new AuthUserBlockedError(`WeChat blocked this user's login: ${text}`);
    case 45011: // over 100 logins a minute for this user
      return new AuthRateLimitedError(`too many logins for this user: ${text}`, 60);
    case 40001: // invalid credential (access_token)
    case 42001: // access_token expired
      return new WechatTokenRejectedError(errcode, `WeChat rejected the access_token: ${text}`);
    default:
      // -1 (system busy), 40013/40125 (our appid/secret are wrong), anything new:
      // nothing the client can fix, so it is the upstream's failure.
      return new UpstreamUnavailableError(`WeChat API error: ${text}`);
  }
}
