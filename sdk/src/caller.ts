/**
 * How every call travels: the session's token, a slot in the request queue for each
 * attempt, retries by the rules in retry.ts, one fresh login and one replay after a
 * 401 `UNAUTHENTICATED` (the server refused before doing anything, so any request may
 * be replayed), and the answer turned into data or a MiniscaleError.
 */
import { MiniscaleError } from './errors.js';
import type { RequestQueue } from './queue.js';
import { retryDecision, type RetryOptions } from './retry.js';
import { sendOnce, type AttemptResult } from './transport.js';
import { headerOf, type Wx } from './wx.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface RequestOptions {
  method: Method;
  /** The path and query, e.g. `/v1/counters/visits`. */
  path: string;
  /** Sent as JSON. */
  data?: unknown;
  header?: Record<string, string>;
  /**
   * Safe to send twice: lets the client retry it after a failure that may have reached
   * the server. GET, HEAD and writes with `If-Match` are safe already.
   */
  idempotent?: boolean;
}

export interface CallOptions extends RequestOptions {
  /** false: sent without a session (signing in itself). @default true */
  auth?: boolean;
}

export interface Answer<T> {
  status: number;
  data: T;
  header: Record<string, unknown>;
}

/** Where the token comes from: session.ts. */
export interface TokenSource {
  token(): Promise<string>;
  renew(failed: string): Promise<string>;
}

export interface CallerOptions {
  wx: Wx;
  baseUrl: string;
  queue: RequestQueue;
  timeoutMs: number;
  retry: RetryOptions;
}

export class Caller {
  tokens: TokenSource | undefined;

  constructor(private readonly options: CallerOptions) {}

  async call<T>(req: CallOptions): Promise<Answer<T>> {
    if (req.auth === false || !this.tokens) return finish<T>(await this.attempts(req, undefined));
    const token = await this.tokens.token();
    let result = await this.attempts(req, token);
    if (isUnauthenticated(result)) result = await this.attempts(req, await this.tokens.renew(token));
    return finish<T>(result);
  }

  /** Up to `maxAttempts` sends, each in its own queue slot, with the waits retry.ts decides. */
  private async attempts(req: CallOptions, token: string | undefined): Promise<AttemptResult> {
    const { wx, baseUrl, queue, timeoutMs, retry } = this.options;
    const header: Record<string, string> = { 'content-type': 'application/json', ...req.header };
    if (token !== undefined) header.authorization = `Bearer ${token}`;
    const attempt = {
      method: req.method,
      url: baseUrl + req.path,
      header,
      body: req.data === undefined ? undefined : JSON.stringify(req.data),
      timeoutMs,
    };
    const safe = isSafe(req);
    let uncertain: Extract<AttemptResult, { kind: 'failure' }> | undefined;
    for (let n = 1; ; n++) {
      const result = await queue.run(() => sendOnce(wx, attempt));
      if (result.kind === 'failure' && result.maybeSent) uncertain = result;
      // A conditional write replayed after an attempt that may have been applied: its
      // 412 may be our own first write. Nobody can tell, so the call fails as the
      // uncertain attempt did, and kv.update does not apply its function a second time.
      if (uncertain && result.kind === 'answer' && result.status === 412) {
        return { ...uncertain, message: `${uncertain.message} (the write may have been applied: a replay found the version moved)` };
      }
      const next = retryDecision(result, n, safe, retry);
      if (!next.retry) return result;
      await sleep(next.delayMs);
    }
  }
}

/** Sending it twice does no harm: a read, a conditional write (a replay of a done write gets 412), or the caller says so. */
function isSafe(req: RequestOptions): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.idempotent === true) return true;
  return Object.keys(req.header ?? {}).some((name) => /^if-(none-)?match$/i.test(name));
}

function isUnauthenticated(result: AttemptResult): boolean {
  return result.kind === 'answer' && result.status === 401 && errorOf(result.data)?.code === 'UNAUTHENTICATED';
}

function finish<T>(result: AttemptResult): Answer<T> {
  if (result.kind === 'failure') throw new MiniscaleError(result.code, result.message);
  const requestId = headerOf(result.header, 'x-request-id');
  if (result.status < 400) return { status: result.status, data: result.data as T, header: result.header };
  const error = errorOf(result.data);
  if (!error) throw new MiniscaleError('BAD_RESPONSE', `HTTP ${result.status} without the API's error body`, result.status, requestId);
  throw new MiniscaleError(error.code, error.message, result.status, requestId);
}

/** The API's `{"error":{"code","message"}}`, parsed by wx.request or still text. */
function errorOf(data: unknown): { code: string; message: string } | undefined {
  let body = data;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return error && typeof error.code === 'string'
    ? { code: error.code, message: typeof error.message === 'string' ? error.message : error.code }
    : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
