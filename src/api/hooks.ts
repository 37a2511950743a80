/**
 * Request hooks, in the order a request meets them: node id and deadline (every
 * request), the per-IP limit (before the body is read), then — on protected routes —
 * authentication and the per-user limit. Admin routes check the admin key instead.
 */
import type { FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify';
import { bearerToken, isAdminKey } from '../http/admin-key.js';
import { appKey, userKey } from '../store/index.js';
import type { ApiContext } from './context.js';
import { ForbiddenError, RateLimitedError, UnauthenticatedError } from './errors.js';

const WINDOW_MS = 60_000;
/** Probes and scrapes are never rate limited: a limit must not make a node look dead. */
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

/*
 * The hooks every request meets are callback-style, not async: an async hook costs a
 * promise and a microtask per request even when it does nothing (bench/api profile).
 */
export function nodeIdHook(ctx: ApiContext): onRequestHookHandler {
  return (_request, reply, done) => {
    reply.header('x-node-id', ctx.options.nodeId);
    done();
  };
}

/**
 * The gateway's X-Request-Deadline (epoch ms): past it, nobody waits for the answer.
 * Believed only from a trusted proxy, like X-Forwarded-For: otherwise any client that
 * reaches a node could make it refuse work (a 5xx) with one header. Fastify's
 * `request.ips` has more than one address exactly when a trusted peer forwarded the
 * request (the gateway always sends X-Forwarded-For); it is only computed when the
 * header is there, so ordinary requests pay nothing.
 */
export const deadlineHook: onRequestHookHandler = (request, reply, done) => {
  const raw = request.headers['x-request-deadline'];
  const deadline = typeof raw === 'string' ? Number(raw) : NaN;
  if (Number.isFinite(deadline) && deadline < Date.now() && fromTrustedProxy(request)) {
    request.log.debug({ deadline }, 'dropping a request whose deadline has passed');
    void reply.code(504).send({ error: { code: 'UPSTREAM_TIMEOUT', message: 'the request deadline passed before the node started on it' } });
    return;
  }
  done();
};

function fromTrustedProxy(request: FastifyRequest): boolean {
  // `ips` exists only when trustProxy is configured (MINISCALE_TRUST_PROXY not empty).
  const ips = (request as { ips?: string[] }).ips;
  return Array.isArray(ips) && ips.length > 1;
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

export function authHook(ctx: ApiContext) {
  return async (request: FastifyRequest) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthenticatedError('sign in first: send Authorization: Bearer TOKEN');
    const session = await ctx.sessions.resolve(token);
    if (!session) throw new UnauthenticatedError('the token is unknown, expired or revoked; sign in again');
    request.user = session;
    request.userToken = token;
    const limit = ctx.options.rateLimit.user;
    if (limit > 0) await enforce(ctx, userKey(session.openid, 'rl', 'requests'), limit, 'user');
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
