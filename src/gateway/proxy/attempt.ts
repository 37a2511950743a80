/**
 * One attempt: one request to one upstream through its pool, with undici's `dispatch`
 * so bytes stream both ways with backpressure and nothing is buffered whole — the
 * request body is read from the client only as fast as the upstream takes it, and when
 * the client reads slowly, `controller.pause()` stops reading from the upstream socket.
 *
 * What an attempt reports is exactly what the retry rules need: whether undici ever
 * put the request on a socket (`sent`), whether the body is untouched, whether it was
 * a timeout, and — for a 502/503/504 the caller chose to retry — that the response was
 * dropped instead of relayed.
 */
import { ClientGoneError, UpstreamTimeoutError } from '../../core/errors.js';
import type { Dispatcher } from 'undici';
import type { Upstream } from '../upstreams/upstream.js';
import type { ProxyContext } from './context.js';
import { responseHeaders } from './hop-by-hop.js';

type Controller = Dispatcher.DispatchController;
type Headers = Record<string, string | string[] | undefined>;

export type AttemptResult =
  /** The client got this upstream's status line; `complete` is false when the body broke off. */
  | { kind: 'relayed'; status: number; complete: boolean; latencyMs: number }
  /** A 502/503/504 dropped because the caller granted a retry. */
  | { kind: 'dropped'; status: number; latencyMs: number }
  | { kind: 'failed'; error: Error; sent: boolean; bodyIntact: boolean; timedOut: boolean; latencyMs: number }
  /** undici refused the request itself (e.g. a header it cannot send): no upstream is to blame. */
  | { kind: 'refused'; error: Error };

export interface AttemptHooks {
  /** Called when a 502/503/504 arrives: true when a retry was granted and this response is to be dropped. */
  retryOnStatus(status: number): boolean;
}

export function runAttempt(ctx: ProxyContext, upstream: Upstream, timeoutMs: number, hooks: AttemptHooks): Promise<AttemptResult> {
  return new Promise((resolve) => new Attempt(ctx, upstream, timeoutMs, hooks, resolve).start());
}

/** Response headers the gateway sets itself. */
const REPLACED: ReadonlySet<string> = new Set(['x-request-id']);
const TIMEOUT = new UpstreamTimeoutError('the upstream did not answer in time');

class Attempt implements Dispatcher.DispatchHandler {
  #controller: Controller | undefined;
  #sent = false;
  #settled = false;
  #dropping = false;
  #relaying = false;
  #status = 0;
  #latencyMs = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #startedAt = performance.now();

  constructor(
    private readonly ctx: ProxyContext,
    private readonly upstream: Upstream,
    private readonly timeoutMs: number,
    private readonly hooks: AttemptHooks,
    private readonly resolve: (r: AttemptResult) => void,
  ) {}

  start(): void {
    this.#timer = setTimeout(this.#onTimeout, this.timeoutMs);
    this.ctx.abortAttempt = this.#abort;
    const opts: Dispatcher.DispatchOptions = {
      path: this.ctx.path,
      method: this.ctx.method,
      headers: this.ctx.upstreamHeaders,
      body: this.ctx.body,
    };
    try {
      this.upstream.pool.dispatch(opts, this);
    } catch (err) {
      clearTimeout(this.#timer);
      this.#settle({ kind: 'refused', error: err as Error });
    }
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    // Settled before undici got a socket (timeout, client gone): never write it.
    if (this.#settled) {
      controller.abort(TIMEOUT);
      return;
    }
    this.#sent = true;
  }

  onResponseStart(controller: Controller, status: number, headers: Headers): void {
    if (this.#settled) return;
    clearTimeout(this.#timer);
    this.#status = status;
    this.#latencyMs = performance.now() - this.#startedAt;
    if (status >= 502 && status <= 504 && this.hooks.retryOnStatus(status)) {
      this.#dropping = true;
      return;
    }
    this.#relaying = true;
    // Set now, not when the attempt settles: the response's 'close' (which records
    // metrics and the access log) can run before the awaiting forwarder resumes.
    this.ctx.upstream = this.upstream;
    this.ctx.status = status;
    const out = responseHeaders((controller.rawHeaders as Buffer[] | null) ?? [], headers.connection, REPLACED);
    out.push('x-request-id', this.ctx.id);
    try {
      this.ctx.res.writeHead(status, out);
    } catch (err) {
      // A header value Node refuses to write (e.g. a raw control character).
      this.#relaying = false;
      controller.abort(err as Error);
    }
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#dropping || this.#settled) return;
    if (!this.ctx.res.write(chunk)) {
      controller.pause();
      this.ctx.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    if (this.#dropping) {
      this.#settle({ kind: 'dropped', status: this.#status, latencyMs: this.#latencyMs });
      return;
    }
    this.ctx.res.end();
    this.#settle({ kind: 'relayed', status: this.#status, complete: true, latencyMs: this.#latencyMs });
  }

  onResponseError(_controller: Controller | undefined, error: Error): void {
    clearTimeout(this.#timer);
    if (this.#settled) return;
    if (this.#relaying) {
      // The status line is out; the only honest signal left is a broken connection.
      this.ctx.res.destroy();
      this.#settle({ kind: 'relayed', status: this.#status, complete: false, latencyMs: this.#latencyMs });
      return;
    }
    if (this.#dropping) {
      this.#settle({ kind: 'dropped', status: this.#status, latencyMs: this.#latencyMs });
      return;
    }
    this.#settle({
      kind: 'failed',
      error,
      sent: this.#sent,
      // A connection error reaches us without a controller: undici never took the body.
      bodyIntact: _controller === undefined && error !== TIMEOUT,
      timedOut: error === TIMEOUT,
      latencyMs: performance.now() - this.#startedAt,
    });
  }

  readonly #onTimeout = (): void => {
    if (this.#controller) {
      this.#controller.abort(TIMEOUT); // calls onResponseError synchronously
      return;
    }
    // Still queued or connecting: give up now; onRequestStart aborts it if it ever starts.
    this.#settle({
      kind: 'failed',
      error: TIMEOUT,
      sent: false,
      bodyIntact: false,
      timedOut: true,
      latencyMs: performance.now() - this.#startedAt,
    });
  };

  readonly #abort = (reason: Error): void => {
    if (this.#controller) this.#controller.abort(reason);
    else if (!this.#settled) {
      clearTimeout(this.#timer);
      this.#settle({
        kind: 'failed',
        error: reason,
        sent: false,
        bodyIntact: false,
        timedOut: false,
        latencyMs: performance.now() - this.#startedAt,
      });
    }
  };

  #settle(result: AttemptResult): void {
    this.#settled = true;
    this.ctx.abortAttempt = undefined;
    this.resolve(result);
  }
}

export const CLIENT_GONE = new ClientGoneError();
