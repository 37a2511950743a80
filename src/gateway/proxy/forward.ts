/**
 * The last pass: pick an upstream, run an attempt, and on failure decide whether to
 * try a different one. A retry needs all of: the request may be replayed
 * (retry-policy.ts), attempts left, time left, an untried upstream, and a token from
 * the retry budget — taken last, so a retry that could not happen anyway costs none.
 * Every attempt's outcome feeds the upstream's counters, latency and health.
 */
import { PayloadTooLargeError } from '../../core/errors.js';
import { buffer } from 'node:stream/consumers';
import type { GatewayRuntime } from '../runtime.js';
import type { Upstream } from '../upstreams/upstream.js';
import { CLIENT_GONE, runAttempt, type AttemptResult } from './attempt.js';
import type { ProxyContext } from './context.js';
import { sendError } from './respond.js';
import { mayReplay, type RetryReason } from './retry-policy.js';

export async function forward(gw: GatewayRuntime, ctx: ProxyContext): Promise<void> {
  if (!(await holdReplayableBody(ctx))) return;
  gw.budget.recordRequest(ctx.startedAt);
  const tried: Upstream[] = [];
  let next = gw.balancer.pick({ now: ctx.startedAt, hashKey: ctx.hashKey }, tried);
  let timedOut = false;
  let lastError: Error | undefined;
  while (next) {
    const upstream = next;
    next = undefined;
    const remaining = ctx.deadlineAt - performance.now();
    if (remaining <= 0) {
      timedOut = true;
      break;
    }
    tried.push(upstream);
    ctx.attempts++;
    upstream.inflight++;
    const result = await runAttempt(ctx, upstream, Math.min(gw.options.timeouts.tryMs, remaining), {
      retryOnStatus: () => {
        next = mayReplay(ctx, true, false) ? planRetry(gw, ctx, tried, 'status') : undefined;
        return next !== undefined;
      },
    });
    upstream.inflight--;
    record(gw, upstream, result, ctx);
    switch (result.kind) {
      case 'relayed':
        return;
      case 'dropped':
        continue;
      case 'refused':
        sendError(ctx.res, 'VALIDATION_FAILED', `the request cannot be forwarded: ${result.error.message}`, {
          requestId: ctx.id,
          close: true,
        });
        return;
      case 'failed':
        if (ctx.clientGone) return;
        if (result.error instanceof PayloadTooLargeError) {
          sendError(ctx.res, 'PAYLOAD_TOO_LARGE', result.error.message, { requestId: ctx.id, close: true });
          return;
        }
        timedOut = result.timedOut;
        lastError = result.error;
        if (mayReplay(ctx, result.sent, result.bodyIntact)) {
          next = planRetry(gw, ctx, tried, result.timedOut ? 'timeout' : result.sent ? 'reset' : 'connect');
        }
    }
  }
  answerFailure(gw, ctx, tried.length, timedOut, lastError);
}

/**
 * Reads the (small, declared-length) body of an idempotent PUT/DELETE whole, so every
 * attempt sends the same bytes. False when the client left, broke off mid-body, or was
 * too slow to send it before the request's deadline — then it has been answered (408,
 * the client's doing, not an upstream's), or there is nobody to answer.
 */
async function holdReplayableBody(ctx: ProxyContext): Promise<boolean> {
  if (!ctx.idempotent || ctx.body === null || Buffer.isBuffer(ctx.body)) return true;
  const body = ctx.body;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, ctx.deadlineAt - performance.now()));
  });
  try {
    const held = await Promise.race([buffer(body), late]);
    if (held !== 'late') {
      ctx.body = held;
      return true;
    }
    if (!ctx.clientGone)
      sendError(ctx.res, 'REQUEST_TIMEOUT', 'the request body did not arrive in time', { requestId: ctx.id, close: true });
  } catch {
    if (!ctx.clientGone) sendError(ctx.res, 'VALIDATION_FAILED', 'the request body broke off', { requestId: ctx.id, close: true });
  } finally {
    clearTimeout(timer);
  }
  return false;
}

function planRetry(gw: GatewayRuntime, ctx: ProxyContext, tried: readonly Upstream[], reason: RetryReason): Upstream | undefined {
  if (ctx.clientGone || ctx.attempts >= gw.options.retryPolicy.maxAttempts) return undefined;
  const now = performance.now();
  if (now >= ctx.deadlineAt) return undefined;
  const next = gw.balancer.pick({ now, hashKey: ctx.hashKey }, tried);
  if (!next) return undefined;
  if (!gw.budget.tryAcquire(now)) {
    gw.metrics.budgetExhausted.inc();
    return undefined;
  }
  gw.metrics.retries.inc({ reason });
  return next;
}

function record(gw: GatewayRuntime, u: Upstream, r: AttemptResult, ctx: ProxyContext): void {
  if (r.kind === 'refused') return;
  // The client leaving (or sending too much) is not the upstream's fault.
  if (r.kind === 'failed' && (r.error === CLIENT_GONE || r.error instanceof PayloadTooLargeError)) return;
  if (r.kind === 'relayed' && !r.complete && ctx.clientGone) return;
  const now = performance.now();
  const failed = r.kind === 'failed' || r.status >= 500 || (r.kind === 'relayed' && !r.complete);
  u.requests++;
  if (failed) {
    u.failures++;
    u.health.onFailure(now);
  } else {
    u.health.onSuccess();
    u.window.add(r.latencyMs);
  }
  // A fast failure must not make a node look fast to p2c: count it as at least the penalty.
  const latency = failed ? Math.max(r.latencyMs, gw.options.balancing.failurePenaltyMs) : r.latencyMs;
  u.latency.observe(latency, now);
  gw.balancer.picker.observe?.(u, { ok: !failed, latencyMs: latency });
  gw.metrics.of(u.url).attempt(r.kind === 'failed' ? errorKind(r) : String(r.status));
}

function errorKind(r: Extract<AttemptResult, { kind: 'failed' }>): string {
  if (r.timedOut) return 'timeout';
  const code = (r.error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}

function answerFailure(gw: GatewayRuntime, ctx: ProxyContext, attempts: number, timedOut: boolean, err: Error | undefined): void {
  if (ctx.clientGone) return;
  if (attempts === 0 && !timedOut) {
    sendError(ctx.res, 'UPSTREAM_UNAVAILABLE', 'no upstream is available', { requestId: ctx.id });
  } else if (timedOut) {
    sendError(ctx.res, 'UPSTREAM_TIMEOUT', `no upstream answered within the timeout (${attempts} attempt${attempts === 1 ? '' : 's'})`, {
      requestId: ctx.id,
    });
  } else {
    sendError(ctx.res, 'UPSTREAM_UNAVAILABLE', `no upstream answered (${attempts} attempt${attempts === 1 ? '' : 's'})`, {
      requestId: ctx.id,
    });
  }
  gw.log.warn(
    { reqId: ctx.id, method: ctx.method, path: ctx.path, attempts, timedOut, err: err?.message },
    'request failed at the gateway',
  );
}
