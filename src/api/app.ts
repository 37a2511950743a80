/**
 * Builds the Fastify app of one API node: JSON-only bodies parsed without prototype
 * surprises, hooks, the routes, the one error handler and the 404 answer.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../logging.js';
import { ValidationError } from '../errors.js';
import { errorBody } from '../http/error-response.js';
import type { ApiContext } from './context.js';
import { handleError } from './error-handler.js';
import { validatorCompiler } from './schema-validation.js';
import { deadlineHook, ipLimitHook, nodeIdHook } from './hooks.js';
import { MAX_VALUE_BYTES } from './schemas.js';
import { adminWechatRoutes } from './routes/admin-wechat.js';
import { authRoutes } from './routes/auth.js';
import { counterRoutes } from './routes/counters.js';
import { healthRoutes } from './routes/health.js';
import { adminKvRoutes, publicKvRoutes, userKvRoutes } from './routes/kv.js';
import { leaderboardRoutes } from './routes/leaderboards.js';

/** A 64 KiB value plus its envelope; larger bodies are refused before they are parsed. */
const BODY_LIMIT = MAX_VALUE_BYTES + 4 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(ctx: ApiContext, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops pino-specific generics.
    loggerInstance: logger as FastifyBaseLogger,
    // Our own onResponse hook logs requests (at debug), so Fastify's per-request lines are off.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: ctx.options.trustProxy,
    // Keep idle keep-alive sockets longer than the gateway's pool does, so the pool
    // always closes first and never reuses a socket we are closing (PITFALLS: keep-alive race).
    keepAliveTimeout: 65_000,
    requestTimeout: 30_000,
    // Longer than any valid key (128), so over-long keys reach schema validation and
    // get our 400 rather than the router's own answer.
    routerOptions: { maxParamLength: 512 },
    // Router-level failures (bad percent-encoding…) go through the one error handler too.
    frameworkErrors: (err, request, reply) => handleError(err, request, reply),
    // The gateway's X-Request-Id when it is sane, so one id follows a request end to end.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  // Declared up front so every request object has one shape: properties added later
  // in a hook make V8's property lookups megamorphic (Fastify's docs on decorators).
  app.decorateRequest('user', null);
  app.decorateRequest('userToken', null);
  app.setValidatorCompiler(validatorCompiler);
  useStrictJson(app);
  app.addHook('onRequest', nodeIdHook(ctx));
  app.addHook('onRequest', deadlineHook);
  const ipLimit = ipLimitHook(ctx);
  if (ipLimit) app.addHook('onRequest', ipLimit);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    ctx.metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    done();
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));

  await app.register(healthRoutes(ctx));
  await app.register(authRoutes(ctx));
  await app.register(userKvRoutes(ctx));
  await app.register(publicKvRoutes(ctx));
  await app.register(adminKvRoutes(ctx));
  await app.register(counterRoutes(ctx));
  await app.register(leaderboardRoutes(ctx));
  await app.register(adminWechatRoutes(ctx));
  return app;
}

/**
 * Only application/json bodies, parsed with plain JSON.parse: it creates `__proto__`
 * and `constructor` as ordinary own properties (no prototype pollution), so such keys
 * round-trip exactly instead of being refused as Fastify's default parser does. An
 * empty body reads as "no body" so optional bodies (counters) may be omitted.
 */
function useStrictJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ValidationError('the body is not valid JSON'), undefined);
    }
  });
}
