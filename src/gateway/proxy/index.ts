/**
 * Entry point of the proxy path: builds the context, runs the passes in order, then
 * forwards. The response's `close` event is the one place a request ends, answered or
 * not: it detects a client that left (and aborts its attempt) and records metrics and
 * the access log line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayRuntime } from '../runtime.js';
import { CLIENT_GONE } from './attempt.js';
import type { ProxyContext } from './context.js';
import type { ClientAddress } from './forwarded.js';
import { forward } from './forward.js';
import { REQUEST_PASSES } from './passes.js';
import { sendError } from './respond.js';

const NO_CLIENT: ClientAddress = { peer: '', client: '', forwardedFor: '', peerTrusted: false };

export function proxyRequest(gw: GatewayRuntime, req: IncomingMessage, res: ServerResponse, active: { count: number }): void {
  const now = performance.now();
  const total = gw.options.timeouts.totalMs;
  const ctx: ProxyContext = {
    req,
    res,
    id: '',
    method: req.method ?? 'GET',
    path: '/',
    startedAt: now,
    deadlineAt: now + total,
    deadlineEpochMs: Date.now() + total,
    client: NO_CLIENT,
    upstreamHeaders: [],
    body: null,
    idempotent: false,
    hashKey: undefined,
    attempts: 0,
    upstream: undefined,
    status: 0,
    clientGone: false,
    abortAttempt: undefined,
  };
  active.count++;
  res.once('close', () => {
    active.count--;
    if (!res.writableFinished) {
      ctx.clientGone = true;
      ctx.abortAttempt?.(CLIENT_GONE);
    }
    finish(gw, ctx);
  });
  for (const pass of REQUEST_PASSES) if (!pass.run(ctx, gw)) return;
  forward(gw, ctx).catch((err: unknown) => {
    gw.log.error({ err, reqId: ctx.id }, 'proxy bug');
    sendError(res, 'INTERNAL', 'the gateway failed', { requestId: ctx.id, close: true });
  });
}

function finish(gw: GatewayRuntime, ctx: ProxyContext): void {
  const ms = performance.now() - ctx.startedAt;
  // 499: nginx's "client closed the request" — nothing was sent back.
  const status = ctx.res.headersSent ? ctx.res.statusCode : 499;
  const series = gw.metrics.of(ctx.upstream?.url ?? 'none');
  series.request(status);
  series.duration.observe(ms / 1000);
  if (gw.options.accessLog) {
    gw.log.info(
      {
        reqId: ctx.id,
        method: ctx.method,
        path: ctx.path,
        status,
        ms: Math.round(ms * 100) / 100,
        upstream: ctx.upstream?.url,
        attempts: ctx.attempts,
        client: ctx.client.client,
      },
      'request',
    );
  }
}
