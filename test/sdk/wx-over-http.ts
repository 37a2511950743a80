/**
 * The mini program's `wx` for tests, over real HTTP (undici): `wx.request` with
 * WeChat's callback shapes and `errMsg` texts, `wx.login` handing out emulator codes
 * (`dev:NAME:…`, one openid per NAME), and storage in a Map — one instance is one device.
 * It records every request (start, end, status, failure) and how many were in flight at
 * most, which is what the tests assert on.
 */
import { Agent, request, type Dispatcher } from 'undici';

export interface WxCall {
  method: string;
  path: string;
  startedAt: number;
  endedAt?: number;
  status?: number;
  errMsg?: string;
  retryAfter?: string;
}

type Callback<T> = ((result: T) => void) | undefined;

interface RequestArgs {
  url: string;
  method?: string;
  data?: unknown;
  header?: Record<string, string>;
  timeout?: number;
  dataType?: string;
  success?: Callback<{ statusCode: number; data: unknown; header: Record<string, string>; errMsg: string }>;
  fail?: Callback<{ errMsg: string }>;
  complete?: Callback<unknown>;
}

let codes = 0;

export class WxOverHttp {
  readonly storage = new Map<string, unknown>();
  readonly calls: WxCall[] = [];
  inFlight = 0;
  maxInFlight = 0;
  logins = 0;
  private readonly agent: Dispatcher = new Agent({ keepAliveTimeout: 4_000 });

  /** `user` is the emulator's NAME: devices with the same one sign in as the same openid. */
  constructor(readonly user: string) {}

  readonly wx = {
    request: (args: RequestArgs) => this.request(args),
    login: (args: { success?: Callback<{ code: string; errMsg: string }>; fail?: Callback<{ errMsg: string }> }) => {
      this.logins++;
      const code = `dev:${this.user}:${process.pid}-${++codes}`;
      setImmediate(() => args.success?.({ code, errMsg: 'login:ok' }));
    },
    getStorageSync: (key: string): unknown => (this.storage.has(key) ? this.storage.get(key) : ''),
    setStorageSync: (key: string, value: unknown) => {
      this.storage.set(key, structuredClone(value));
    },
    removeStorageSync: (key: string) => {
      this.storage.delete(key);
    },
  };

  /** The requests to `path` (without the query), in the order they started. */
  callsTo(method: string, path: string): WxCall[] {
    return this.calls.filter((c) => c.method === method && c.path.split('?')[0] === path);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private request(args: RequestArgs): { abort(): void } {
    const url = new URL(args.url);
    const method = (args.method ?? 'GET').toUpperCase();
    const call: WxCall = { method, path: url.pathname + url.search, startedAt: Date.now() };
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const body = args.data === undefined ? undefined : typeof args.data === 'string' ? args.data : JSON.stringify(args.data);
    const timeout = args.timeout ?? 60_000;
    request(url, { method: method, headers: args.header, body, dispatcher: this.agent, headersTimeout: timeout, bodyTimeout: timeout })
      .then(
        async (res) => {
          const text = await res.body.text();
          const header = flatten(res.headers);
          Object.assign(call, { endedAt: Date.now(), status: res.statusCode, retryAfter: header['retry-after'] });
          this.inFlight--;
          args.success?.({
            statusCode: res.statusCode,
            data: args.dataType === 'json' ? parseOrText(text) : text,
            header,
            errMsg: 'request:ok',
          });
        },
        (err: NodeJS.ErrnoException) => {
          const errMsg = `request:fail ${wechatReason(err)}`;
          Object.assign(call, { endedAt: Date.now(), errMsg });
          this.inFlight--;
          args.fail?.({ errMsg });
        },
      )
      .finally(() => args.complete?.({}));
    return { abort() {} };
  }
}

/** WeChat (Android, DevTools) reports network failures with Chromium's net error names. */
function wechatReason(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return '-102:net::ERR_CONNECTION_REFUSED';
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  return '-101:net::ERR_CONNECTION_RESET';
}

/** As wx.request with dataType "json": parsed when it parses, else the text (an empty 204 body is ""). */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
