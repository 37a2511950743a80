/**
 * Liveness and readiness. /healthz: the process answers. /readyz: it can do useful
 * work (the store answers) and is not draining — the gateway's active health check.
 */
import { ForbiddenError } from '../../core/errors.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isAdminKey, bearerToken } from '../../core/admin-key.js';
import { errorBody } from '../../core/error-response.js';
import type { ApiContext } from '../context.js';

/** A probe must answer quickly even when the store does not. */
const READY_TIMEOUT_MS = 1_000;

export function healthRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', async () => ({ status: 'ok', nodeId: ctx.options.nodeId }));

    app.get('/readyz', async (_request, reply) => {
      if (ctx.state.draining) return reply.code(503).send(errorBody('STORE_UNAVAILABLE', 'draining: finishing in-flight requests'));
      try {
        await Promise.race([
          ctx.store.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS).unref()),
        ]);
      } catch {
        return reply.code(503).send(errorBody('STORE_UNAVAILABLE', 'the store does not answer'));
      }
      return { status: 'ready', nodeId: ctx.options.nodeId, store: ctx.store.driver };
    });

    // Metrics name routes and counts; loopback scrapers (or the admin key) only.
    app.get('/metrics', async (request, reply) => {
      const loopback = request.ip === '127.0.0.1' || request.ip === '::1' || request.ip === '::ffff:127.0.0.1';
      if (!loopback && !isAdminKey(bearerToken(request.headers.authorization), ctx.options.adminKey)) {
        throw new ForbiddenError('metrics are served to loopback clients or with the admin key');
      }
      return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    });
  };
}
