/**
 * The emulator's HTTP server (plain node:http: WeChat's protocol is a handful of JSON
 * endpoints, and the fault knobs need direct control of the socket).
 *
 * Like WeChat, every API answer is HTTP 200 — success and `{errcode, errmsg}` alike —
 * so a client must look at the body. The `/_emulator/` routes are test knobs that WeChat
 * does not have; they answer in the project's own error format.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, type Logger } from '../core/logging.js';
import { ENDPOINTS, type EmulatorStats, type Endpoint } from './endpoints.js';
import { ERR, errOf, WechatApiError } from './errcodes.js';
import { Faults, parseFaultPatch } from './faults.js';
import { code2Session, getAccessToken, getCallbackIp, getStableAccessToken, type Credentials, type Params } from './handlers.js';
import { parseJson, readBody, sendJson, urlOf } from './http-util.js';
import { InjectedErrors, parseInjection } from './injected-errors.js';
import { LoginBook } from './logins.js';
import { resolveOptions, type WechatEmulatorOptions } from './options.js';
import { PhoneCodes } from './phone-codes.js';
import {
  getUserPhoneNumber,
  getWxacodeUnlimit,
  msgSecCheck,
  RawAnswer,
  sendSubscribeMessage,
  type PlatformBooks,
} from './platform-handlers.js';
import { Subscriptions } from './subscriptions.js';
import { TokenBook } from './tokens.js';
import { encryptUserData } from './user-data.js';

export { ENDPOINTS, type EmulatorStats, type Endpoint } from './endpoints.js';

export interface WechatEmulator {
  /** `http://host:port`, the value for MINISCALE_WECHAT_API. */
  url: string;
  port: number;
  /** Stops listening; requests still running get a second to finish. Idempotent. */
  close(): Promise<void>;
}

interface Route {
  endpoint: Endpoint;
  method: 'GET' | 'POST';
  /** Called with the access_token in the query, checked before `run` (41001/40001/42001). */
  withToken?: boolean;
  run(params: Params): object | RawAnswer;
}

const SWEEP_INTERVAL_MS = 30_000;
const CLOSE_GRACE_MS = 1_000;

export async function startWechatEmulator(options: WechatEmulatorOptions): Promise<WechatEmulator> {
  const opts = resolveOptions(options);
  const log: Logger = opts.logger ?? createLogger({ component: 'wechat-emulator' });
  const creds: Credentials = { appid: opts.appid, secret: opts.secret };
  const logins = new LoginBook({
    appid: opts.appid,
    limitPerMinute: opts.loginLimitPerMinute,
    usedCodeMemoryMs: opts.usedCodeMemorySec * 1000,
    unionid: opts.unionid,
  });
  const tokens = new TokenBook({
    ttlMs: opts.tokenTtlSec * 1000,
    invalidateAfterMs: opts.invalidateAfterSec * 1000,
    renewBeforeMs: opts.stableRenewBeforeSec * 1000,
    forceIntervalMs: opts.forceRefreshIntervalSec * 1000,
    forcePerDay: opts.forceRefreshPerDay,
  });
  const faults = new Faults();
  const injected = new InjectedErrors();
  const books: PlatformBooks = {
    logins,
    phoneCodes: new PhoneCodes(opts.appid, opts.usedCodeMemorySec * 1000),
    subscriptions: new Subscriptions(),
  };
  const stats = zeroStats();
  const closing = new AbortController();

  const routes: Record<string, Route> = {
    '/sns/jscode2session': { endpoint: 'jscode2session', method: 'GET', run: (p) => code2Session(p, creds, logins) },
    '/cgi-bin/token': { endpoint: 'token', method: 'GET', run: (p) => getAccessToken(p, creds, tokens) },
    '/cgi-bin/stable_token': { endpoint: 'stable_token', method: 'POST', run: (p) => getStableAccessToken(p, creds, tokens) },
    '/cgi-bin/getcallbackip': { endpoint: 'getcallbackip', method: 'GET', run: (p) => getCallbackIp(p, tokens) },
    '/wxa/business/getuserphonenumber': {
      endpoint: 'getuserphonenumber',
      method: 'POST',
      withToken: true,
      run: (p) => getUserPhoneNumber(p, books),
    },
    '/wxa/msg_sec_check': { endpoint: 'msg_sec_check', method: 'POST', withToken: true, run: (p) => msgSecCheck(p, books) },
    '/wxa/getwxacodeunlimit': { endpoint: 'getwxacodeunlimit', method: 'POST', withToken: true, run: (p) => getWxacodeUnlimit(p) },
    '/cgi-bin/message/subscribe/send': {
      endpoint: 'subscribe_send',
      method: 'POST',
      withToken: true,
      run: (p) => sendSubscribeMessage(p, books),
    },
  };

  async function wechatCall(route: Route, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats[route.endpoint]++;
    let params: Params = Object.fromEntries(url.searchParams);
    let badBody = false;
    if (route.method === 'POST' && req.method === 'POST') {
      // These take only a JSON body ("this API only supports POST JSON").
      const raw = await readBody(req);
      const parsed = raw === null ? undefined : parseJson(raw);
      badBody = typeof parsed !== 'object' || parsed === null || Array.isArray(parsed);
      params = badBody ? {} : (parsed as Params);
      if (route.endpoint === 'stable_token' && params.force_refresh === true) stats.stable_token_force++;
    }
    if (faults.settings.delayMs > 0) await sleep(faults.settings.delayMs, undefined, { signal: closing.signal });
    const fault = faults.take();
    if (fault === 'drop') {
      log.debug({ endpoint: route.endpoint }, 'fault: dropping the connection');
      req.socket.destroy();
      return;
    }
    let body: object | RawAnswer;
    try {
      if (fault === 'fail') throw new WechatApiError(ERR.SYSTEM_BUSY);
      const injectedErrcode = injected.take(route.endpoint);
      if (injectedErrcode !== undefined) throw new WechatApiError(errOf(injectedErrcode));
      if (req.method !== route.method) throw new WechatApiError(route.method === 'GET' ? ERR.REQUIRE_GET : ERR.REQUIRE_POST);
      if (route.withToken) tokens.check(url.searchParams.get('access_token') ?? undefined);
      if (badBody) throw new WechatApiError(ERR.DATA_FORMAT);
      body = route.run(params);
    } catch (err) {
      if (!(err instanceof WechatApiError)) throw err;
      body = err.toBody();
    }
    if (body instanceof RawAnswer) {
      log.debug({ endpoint: route.endpoint, contentType: body.contentType }, 'answered');
      res.writeHead(200, { 'content-type': body.contentType, 'content-length': body.bytes.length });
      res.end(body.bytes);
      return;
    }
    log.debug({ endpoint: route.endpoint, errcode: 'errcode' in body ? body.errcode : 0 }, 'answered');
    sendJson(res, 200, body);
  }

  async function knob(path: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (path === '/_emulator/stats' && req.method === 'GET') return sendJson(res, 200, { ...stats });
    if (path === '/_emulator/faults' && req.method === 'GET') return sendJson(res, 200, faults.settings);
    if (path === '/_emulator/sent-messages' && req.method === 'GET') return sendJson(res, 200, { messages: books.subscriptions.sent });
    if (path === '/_emulator/session-key' && req.method === 'GET') {
      // For tests that check a server never lets the key out: they must know what to look for.
      const key = logins.sessionKeyOf(query.get('openid') ?? '');
      return key ? sendJson(res, 200, { session_key: key }) : sendJson(res, 404, apiError('NOT_FOUND', 'that openid never logged in'));
    }
    if (req.method !== 'POST') return sendJson(res, 404, apiError('NOT_FOUND', `no ${req.method} ${path} on the emulator`));
    const raw = await readBody(req);
    switch (path) {
      case '/_emulator/reset':
        // Counters, injected faults and rate-limit windows; tokens and used codes stay.
        Object.assign(stats, zeroStats());
        faults.reset();
        injected.reset();
        logins.resetLimits();
        tokens.resetLimits();
        return sendJson(res, 200, { ok: true });
      case '/_emulator/expire-tokens':
        return sendJson(res, 200, { expired: tokens.expireAll() });
      case '/_emulator/faults': {
        const patch = raw === null ? 'the body is too large' : parseFaultPatch(raw.length ? parseJson(raw) : {});
        if (typeof patch === 'string') return sendJson(res, 400, apiError('VALIDATION_FAILED', patch));
        return sendJson(res, 200, faults.update(patch));
      }
      case '/_emulator/fail': {
        const injection = raw === null ? 'the body is too large' : parseInjection(raw.length ? parseJson(raw) : {});
        if (typeof injection === 'string') return sendJson(res, 400, apiError('VALIDATION_FAILED', injection));
        injected.add(injection);
        return sendJson(res, 200, injection);
      }
      case '/_emulator/subscribe': {
        const b = (raw === null ? undefined : parseJson(raw)) as Record<string, unknown> | undefined;
        const times = b?.times ?? 1;
        if (
          typeof b?.openid !== 'string' ||
          typeof b.template_id !== 'string' ||
          b.template_id === '' ||
          typeof times !== 'number' ||
          !Number.isInteger(times) ||
          times < 1 ||
          times > 1000
        ) {
          return sendJson(res, 400, apiError('VALIDATION_FAILED', 'expected {"openid", "template_id", "times"?: 1-1000}'));
        }
        return sendJson(res, 200, {
          openid: b.openid,
          template_id: b.template_id,
          left: books.subscriptions.grant(b.openid, b.template_id, times),
        });
      }
      case '/_emulator/encrypt': {
        const b = (raw === null ? undefined : parseJson(raw)) as Record<string, unknown> | undefined;
        const data = b?.data;
        if (
          typeof b?.openid !== 'string' ||
          typeof data !== 'object' ||
          data === null ||
          Array.isArray(data) ||
          (b.appid !== undefined && typeof b.appid !== 'string')
        ) {
          return sendJson(res, 400, apiError('VALIDATION_FAILED', 'expected {"openid", "data": {...}, "appid"?}'));
        }
        const sessionKey = logins.sessionKeyOf(b.openid);
        if (!sessionKey) return sendJson(res, 404, apiError('NOT_FOUND', 'that openid never logged in: no session_key to encrypt with'));
        return sendJson(res, 200, encryptUserData(sessionKey, data as Record<string, unknown>, b.appid ?? opts.appid));
      }
      default:
        return sendJson(res, 404, apiError('NOT_FOUND', `no POST ${path} on the emulator`));
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const route = routes[url.pathname];
    const work = route
      ? wechatCall(route, url, req, res)
      : url.pathname.startsWith('/_emulator/')
        ? knob(url.pathname, url.searchParams, req, res)
        : Promise.resolve(sendJson(res, 404, apiError('NOT_FOUND', `the emulator does not implement ${url.pathname}`)));
    work.catch((err: unknown) => {
      if (closing.signal.aborted) {
        req.socket.destroy(); // a delayed answer cut short by close()
        return;
      }
      log.error({ err, path: url.pathname }, 'emulator bug');
      if (!res.headersSent) sendJson(res, 500, { errcode: -1, errmsg: 'emulator internal error' });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const sweeper = setInterval(() => {
    logins.sweep();
    tokens.sweep();
    books.phoneCodes.sweep();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  const port = (server.address() as AddressInfo).port;
  const url = urlOf(opts.host, port);
  log.info({ url, appid: opts.appid, tokenTtlSec: opts.tokenTtlSec }, 'WeChat emulator listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        clearInterval(sweeper);
        closing.abort();
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}

function zeroStats(): EmulatorStats {
  return { ...Object.fromEntries(ENDPOINTS.map((e) => [e, 0])), stable_token_force: 0 } as EmulatorStats;
}

function apiError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
