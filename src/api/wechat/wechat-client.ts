/**
 * HTTP calls to WeChat's server API over a keep-alive pool: every call bounded in time
 * (MINISCALE_WECHAT_TIMEOUT_MS) and in the size of the answer read. This is transport
 * only; `WechatPlatform` (platform.ts) adds the access_token and the retries, and
 * wechat-errors.ts turns errcodes into our errors.
 */
import {
  AuthCodeInvalidError,
  AuthRateLimitedError,
  AuthUserBlockedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../core/errors.js';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { wechatError, type ErrcodeTable, type WechatErrorBody } from './wechat-errors.js';

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

/** A JSON answer: parsed, and as the text it came as (for numbers JSON.parse would round). */
export interface WechatJson {
  body: Record<string, unknown>;
  text: string;
}

/** An answer that may be bytes (getwxacodeunlimit): its content type, as WeChat sent it. */
export type WechatAnswer = { kind: 'json'; json: WechatJson } | { kind: 'bytes'; contentType: string; bytes: Buffer };

/** Larger than any image or JSON WeChat sends on these calls; a bigger answer is not WeChat's. */
const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

const LOGIN_ERRORS: ErrcodeTable = {
  40029: (text) => new AuthCodeInvalidError(`the login code was rejected: ${text}`),
  40163: (text) => new AuthCodeInvalidError(`the login code was already used: ${text}`),
  40226: (text) => new AuthUserBlockedError(`WeChat blocked this user's login: ${text}`),
  45011: (text) => new AuthRateLimitedError(`too many logins for this user: ${text}`, 60),
};

export class WechatClient {
  readonly #opts: WechatClientOptions;
  readonly #agent: Agent;

  constructor(opts: WechatClientOptions) {
    this.#opts = opts;
    this.#agent = new Agent({ keepAliveTimeout: 4_000, connections: 32 });
  }

  get appid(): string {
    return this.#opts.appid;
  }

  /** `jscode2session`: exchanges a wx.login code for the user's openid and session_key. */
  async code2Session(code: string): Promise<WechatSession> {
    const path = '/sns/jscode2session';
    const { body } = await this.#json('GET', path, {
      appid: this.#opts.appid,
      secret: this.#opts.secret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    if (!isText(body.openid) || !isText(body.session_key)) throw wechatError(path, body, LOGIN_ERRORS);
    return { openid: body.openid, sessionKey: body.session_key, ...(isText(body.unionid) ? { unionid: body.unionid } : {}) };
  }

  /**
   * `stable_token`: unlike `/cgi-bin/token`, fetching it does not invalidate the token
   * other servers hold. `forceRefresh` asks for a new one (WeChat allows that 20 times a day).
   */
  async stableToken(forceRefresh: boolean): Promise<WechatToken> {
    const path = '/cgi-bin/stable_token';
    const { body } = await this.#json(
      'POST',
      path,
      {},
      {
        grant_type: 'client_credential',
        appid: this.#opts.appid,
        secret: this.#opts.secret,
        force_refresh: forceRefresh,
      },
    );
    const expiresIn = body.expires_in;
    if (!isText(body.access_token) || typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn <= 0)
      throw wechatError(path, body);
    return { accessToken: body.access_token, expiresInSec: expiresIn };
  }

  /** A GET with the access_token whose answer is JSON (errcodes are for the caller to judge). */
  getWithToken(path: string, accessToken: string): Promise<WechatJson> {
    return this.#json('GET', path, { access_token: accessToken });
  }

  /** A POST of JSON with the access_token whose answer is JSON. */
  postWithToken(path: string, accessToken: string, json: unknown): Promise<WechatJson> {
    return this.#json('POST', path, { access_token: accessToken }, json);
  }

  /** A POST of JSON with the access_token that answers bytes on success and JSON on failure. */
  async postForBytes(path: string, accessToken: string, json: unknown): Promise<WechatAnswer> {
    const { contentType, bytes } = await this.#send('POST', path, { access_token: accessToken }, json);
    // Both answers are HTTP 200: only the content type tells them apart.
    if (/^(application|text)\/(json|plain)\b/i.test(contentType)) return { kind: 'json', json: parseJson(path, bytes) };
    return { kind: 'bytes', contentType, bytes };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #json(method: 'GET' | 'POST', path: string, query: Record<string, string>, json?: unknown): Promise<WechatJson> {
    const { bytes } = await this.#send(method, path, query, json);
    return parseJson(path, bytes);
  }

  async #send(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    json?: unknown,
  ): Promise<{ contentType: string; bytes: Buffer }> {
    const url = `${this.#opts.apiBase}${path}?${new URLSearchParams(query).toString()}`;
    const timeoutMs = this.#opts.timeoutMs;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        dispatcher: this.#agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        ...(json === undefined ? {} : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
      });
    } catch (err) {
      throw transportError(path, err, timeoutMs);
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw new UpstreamUnavailableError(`WeChat API answered ${path} with HTTP ${res.statusCode}`);
    }
    const contentType = String(res.headers['content-type'] ?? '');
    try {
      return { contentType, bytes: await readBounded(res.body, MAX_ANSWER_BYTES) };
    } catch (err) {
      throw transportError(path, err, timeoutMs);
    }
  }
}

function transportError(path: string, err: unknown, timeoutMs: number): Error {
  const e = err as Error & { code?: string };
  if (e.name === 'TimeoutError' || e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamTimeoutError(`WeChat API did not answer ${path} within ${timeoutMs} ms`, { cause: err });
  }
  if (e instanceof UpstreamUnavailableError) return e;
  return new UpstreamUnavailableError(`WeChat API did not answer ${path}: ${e.message}`, { cause: err });
}

/** The whole body, refusing (and dropping) one larger than `max`. */
async function readBounded(body: Dispatcher.ResponseData['body'], max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      body.destroy();
      throw new UpstreamUnavailableError(`WeChat answered more than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(path: string, bytes: Buffer): WechatJson {
  const text = bytes.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new UpstreamUnavailableError(`WeChat API answered ${path} with a body that is not JSON`, { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new UpstreamUnavailableError(`WeChat API answered ${path} with JSON that is not an object`);
  return { body: body as Record<string, unknown> & WechatErrorBody, text };
}

function isText(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}
