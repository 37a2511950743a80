/**
 * Request hooks, in the order a request meets them: the client's edge (every request),
 * the per-IP limit (before the body is read), then — on protected routes —
 * authentication and the per-user limit. Admin routes check the admin key instead.
 */
import { ForbiddenError, MalformedRequestError, RateLimitedError, UnauthenticatedError, UriTooLongError } from '../core/errors.js';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest, HookHandlerDoneFunction, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify';
import { bearerToken, isAdminKey } from '../core/admin-key.js';
import { DEFAULT_MAX_URL_BYTES } from '../http/parse-errors.js';
import type { TrustedProxies } from '../http/trusted-proxies.js';
import { appKey, userKey } from '../store/index.js';
import type { Session } from './auth/sessions.js';
import type { ApiContext } from './context.js';

const WINDOW_MS = 60_000;
/** Probes and scrapes are never rate limited: a limit must not make a node look dead. */
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The client's edge, the same contract as the gateway's (src/gateway/server.ts and
 * proxy/passes.ts), in one hook every request meets first — 404s included:
 * - `X-Node-Id` and `X-Request-Id` on every answer (errors get them too: the error
 *   handler keeps headers set here);
 * - a URL over 8 KiB → 414; a target that is not a path (absolute-form was made one
 *   by app.ts) → 400; HTTP/1.1 without Host → 400; a Transfer-Encoding other than
 *   `chunked` → 400 (RFC 9112 §6.3: the body's length cannot be known; Node's parser
 *   lets the request through and fails on its body) — each closing the connection,
 *   lingering (src/http/lingering-close.ts);
 * - the gateway's `X-Request-Deadline` (epoch ms): past it, nobody waits for the
 *   answer. Believed only from a trusted proxy, like X-Forwarded-For: otherwise any
 *   client that reaches a node could make it refuse work (a 5xx) with one header.
 * Callback-style, not async: an async hook costs a promise and a microtask per
 * request even when it does nothing (bench/api profile).
 */
export function edgeHook(ctx: ApiContext, trusted: TrustedProxies): onRequestHookHandler {
  const nodeId = ctx.options.nodeId;
  return (request, reply, done) => {
    reply.header('x-node-id', nodeId);
    reply.header('x-request-id', request.id);
    const refused = edgeRefusal(request.raw);
    if (refused) {
      done(refused);
      return;
    }
    if (pastDeadline(request.raw, trusted)) {
      request.log.debug('dropping a request whose deadline has passed');
      void reply
        .code(504)
        .send({ error: { code: 'UPSTREAM_TIMEOUT', message: 'the request deadline passed before the node started on it' } });
      return;
    }
    done();
  };
}

/** Why the edge refuses this request, if it does; nothing is allocated for one it takes. */
function edgeRefusal(raw: IncomingMessage): Error | undefined {
  const url = raw.url ?? '';
  if (url.length > DEFAULT_MAX_URL_BYTES) return new UriTooLongError(`the URL is over ${DEFAULT_MAX_URL_BYTES} bytes`);
  if (url.charCodeAt(0) !== 0x2f) return new MalformedRequestError('the request target must be a path');
  const headers = raw.headers;
  if (headers.host === undefined && raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1) {
    return new MalformedRequestError('an HTTP/1.1 request needs a Host header');
  }
  const te = headers['transfer-encoding'];
  if (te !== undefined && te.toLowerCase() !== 'chunked')
    return new MalformedRequestError('Transfer-Encoding other than chunked is not accepted');
  return undefined;
}

function pastDeadline(raw: IncomingMessage, trusted: TrustedProxies): boolean {
  const given = raw.headers['x-request-deadline'];
  if (given === undefined) return false;
  const deadline = Number(given);
  return Number.isFinite(deadline) && deadline < Date.now() && trusted.trusts(raw.socket.remoteAddress);
}

/** The per-IP limit, or null when it is off (0): then no hook runs at all. */
export function ipLimitHook(ctx: ApiContext): onRequestAsyncHookHandler | null {
  const limit = ctx.options.rateLimit.ip;
  if (limit === 0) return null;
  return async (request) => {
    if (UNLIMITED.has(request.url)) return;
    await enforce(ctx, appKey('rl-ip', request.ip), limit, 'ip');
  };
}

/**
 * Callback-style like the edge hook: on a store that reads locally (embedded) the
 * session is read synchronously (Sessions.resolveNow) and a request goes on with no
 * promise at all; a store that must be awaited, and the per-user limit (a store
 * write), take the promise path. The session is read from the store on every request
 * either way, so a logout counts everywhere at once.
 */
export function authHook(ctx: ApiContext): onRequestHookHandler {
  const limit = ctx.options.rateLimit.user;
  const admit = (request: FastifyRequest, token: string, session: Session | null, done: HookHandlerDoneFunction): void => {
    if (!session) return done(new UnauthenticatedError('the token is unknown, expired or revoked; sign in again'));
    request.user = session;
    request.userToken = token;
    if (limit === 0) return done();
    enforce(ctx, userKey(session.openid, 'rl', 'requests'), limit, 'user').then(
      () => done(),
      (err: Error) => done(err),
    );
  };
  return (request, _reply, done) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) return done(new UnauthenticatedError('sign in first: send Authorization: Bearer TOKEN'));
    let now: Session | null | undefined;
    try {
      now = ctx.sessions.resolveNow(token);
    } catch (err) {
      return done(err as Error);
    }
    if (now !== undefined) return admit(request, token, now, done);
    ctx.sessions.resolve(token).then(
      (session) => admit(request, token, session, done),
      (err: Error) => done(err),
    );
  };
}

export function adminHook(ctx: ApiContext) {
  return async (request: FastifyRequest) => {
    if (!ctx.options.adminKey) throw new ForbiddenError('the admin API is disabled: MINISCALE_ADMIN_KEY is not set');
    if (!isAdminKey(bearerToken(request.headers.authorization), ctx.options.adminKey)) {
      throw new ForbiddenError('admin routes need Authorization: Bearer ADMIN_KEY');
    }
  };
}

export async function enforce(ctx: ApiContext, key: string, perMinute: number, limit: 'ip' | 'user' | 'login'): Promise<void> {
  const result = await ctx.store.hit(key, perMinute, WINDOW_MS);
  if (!result.allowed) {
    ctx.metrics.rateLimited.inc({ limit });
    throw new RateLimitedError(`over the ${limit} rate limit of ${perMinute} requests per minute`, result.retryAfterMs / 1000);
  }
}
