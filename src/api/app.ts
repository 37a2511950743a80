/**
 * Builds the Fastify app of one API node: the client's edge (limits, timeouts, request
 * ids, parse errors — the gateway's contract, since a node may face clients directly),
 * JSON-only bodies parsed without prototype surprises, hooks, the routes, the one error
 * handler and the 404 answer.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import { REQUEST_ID } from '../core/request-id.js';
import { lazyRequestLogger, type Logger } from '../core/logging.js';
import { ValidationError } from '../core/errors.js';
import { answerClientError } from '../http/client-error.js';
import { errorBody } from '../core/error-response.js';
import { DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_URL_BYTES, type EdgeLimits, type ParserError } from '../http/parse-errors.js';
import { TrustedProxies } from '../http/trusted-proxies.js';
import type { ApiContext } from './context.js';
import { handleError } from './error-handler.js';
import { validatorCompiler } from './schema-validation.js';
import { edgeHook, ipLimitHook } from './hooks.js';
import { registerOpenApi } from './openapi.js';
import { MAX_VALUE_BYTES } from './schemas.js';
import { adminWechatRoutes } from './routes/admin-wechat.js';
import { authRoutes } from './routes/auth.js';
import { counterRoutes } from './routes/counters.js';
import { healthRoutes } from './routes/health.js';
import { adminKvRoutes, publicKvRoutes, userKvRoutes } from './routes/kv.js';
import { leaderboardRoutes } from './routes/leaderboards.js';
import { meWechatRoutes } from './routes/me-wechat.js';
import { securityRoutes } from './routes/security.js';
import { wxacodeRoutes } from './routes/wxacode.js';

/** A 64 KiB value plus its envelope; larger bodies are refused before they are parsed. */
const BODY_LIMIT = MAX_VALUE_BYTES + 4 * 1024;
const LIMITS: EdgeLimits = { maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES, maxUrlBytes: DEFAULT_MAX_URL_BYTES };

export async function buildApp(ctx: ApiContext, logger: Logger): Promise<FastifyInstance> {
  const trusted = new TrustedProxies(ctx.options.trustProxy);
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops pino-specific generics.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it to pick Fastify's overload
    loggerInstance: logger as FastifyBaseLogger,
    // Our own onResponse hook logs requests (at debug), so Fastify's per-request lines are off.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    childLoggerFactory: lazyRequestLogger,
    ...edgeOptions(ctx, trusted, logger),
    // Longer than any valid key (128), so over-long keys reach schema validation and
    // get our 400 rather than the router's own answer.
    routerOptions: { maxParamLength: 512 },
    // Router-level failures (bad percent-encoding…) go through the one error handler
    // too; they skip the onRequest hooks, so the edge's headers are set here.
    frameworkErrors: (err, request, reply) => {
      void reply.header('x-node-id', ctx.options.nodeId).header('x-request-id', request.id);
      handleError(err, request, reply);
    },
  });
  // A client may send its request and then shut down its sending side (FIN) while it
  // waits for the answer (HTTP/1.0 tools, `nc -N`). Node takes that FIN as the client
  // leaving and ends the socket, losing the answer; half-open allowed, it answers, then
  // closes. Node has the switch on every http.Server but no constructor option for it.
  (app.server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Declared up front so every request object has one shape: properties added later
  // in a hook make V8's property lookups megamorphic (Fastify's docs on decorators).
  app.decorateRequest('user', null);
  app.decorateRequest('userToken', null);
  app.setValidatorCompiler(validatorCompiler);
  useStrictJson(app);
  app.addHook('onRequest', edgeHook(ctx, trusted));
  const ipLimit = ipLimitHook(ctx);
  if (ipLimit) app.addHook('onRequest', ipLimit);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime);
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    done();
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  // First: it records each route registered after it.
  await registerOpenApi(app);
  await app.register(healthRoutes(ctx));
  await app.register(authRoutes(ctx));
  await app.register(userKvRoutes(ctx));
  await app.register(publicKvRoutes(ctx));
  await app.register(adminKvRoutes(ctx));
  await app.register(counterRoutes(ctx));
  await app.register(leaderboardRoutes(ctx));
  await app.register(adminWechatRoutes(ctx));
  await app.register(meWechatRoutes(ctx));
  await app.register(securityRoutes(ctx));
  await app.register(wxacodeRoutes(ctx));
  return app;
}

type EdgeOptions = Pick<
  FastifyHttpOptions<Server>,
  'http' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout' | 'trustProxy' | 'clientErrorHandler' | 'rewriteUrl' | 'genReqId'
>;

/**
 * The client's edge, as the gateway keeps it (src/gateway/server.ts): Node's parser with
 * its strict defaults (no insecureHTTPParser: CL+TE, bare CR, NUL and obs-fold are parse
 * errors), the same limits, and timeouts so that a slow client cannot pin a worker —
 * `headersTimeout` bounds the headers (slowloris), `requestTimeout` the whole request
 * (checked every second rather than Node's 30 s), the socket timeout a client that
 * stops reading its answer.
 */
function edgeOptions(ctx: ApiContext, trusted: TrustedProxies, logger: Logger): EdgeOptions {
  const o = ctx.options.http;
  return {
    http: {
      maxHeaderSize: LIMITS.maxHeaderBytes,
      insecureHTTPParser: false,
      headersTimeout: o.headersTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(o.headersTimeoutMs / 4))),
      // Checked in the edge hook instead, so the 400 is in the API's error format.
      requireHostHeader: false,
    },
    requestTimeout: o.requestTimeoutMs,
    // Keep idle keep-alive sockets longer than a gateway's pool does, so the pool
    // always closes first and never reuses a socket we are closing (a request written as
    // the node closes the socket would get no answer).
    keepAliveTimeout: o.keepAliveTimeoutMs,
    connectionTimeout: o.socketTimeoutMs,
    // Passed as a function so Fastify (request.ip, X-Forwarded-For) and our own checks
    // (X-Request-Id, X-Request-Deadline) share one compiled list; none trusted: Fastify
    // takes the socket's address and reads no header at all.
    trustProxy: trusted.none ? false : (address: string) => trusted.trusts(address),
    // Fastify's type gives `rawPacket` its JSON form; Node hands the Buffer itself.
    clientErrorHandler: (err, socket) => onClientError(ctx, logger, err as unknown as ParserError, socket),
    // An absolute-form target (`GET http://host/path`), which RFC 9112 §3.2.2 says a
    // server must accept, is routed by its path, as the gateway forwards it; anything
    // else not starting with `/` is refused in the edge hook.
    rewriteUrl: (req) => originForm(req.url ?? '/'),
    // A proxy's X-Request-Id when it is sane and the proxy trusted, so one id follows a
    // request end to end; anyone else's would let a client forge our log correlation.
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) && trusted.trusts(req.socket.remoteAddress) ? given : randomUUID();
    },
  };
}

function originForm(url: string): string {
  if (url.charCodeAt(0) === 0x2f || !/^https?:\/\//i.test(url)) return url;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

/**
 * A request Node could not parse, or a client too slow to send one: answered like the
 * gateway answers it (src/http/client-error.ts), with our X-Node-Id and a fresh request
 * id — nothing the client sent can be believed.
 */
function onClientError(ctx: ApiContext, log: Logger, err: ParserError, socket: Socket): void {
  const outcome = answerClientError(err, socket, LIMITS, () => [
    ['X-Request-Id', randomUUID()],
    ['X-Node-Id', ctx.options.nodeId],
  ]);
  if (outcome.kind === 'answered') log.debug({ code: err.code, answer: outcome.answer.code, peer: socket.remoteAddress }, 'client error');
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
