/** App-wide counters, atomic across all nodes (one store increment per call). */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appKey } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { authHook } from '../hooks.js';
import { Name } from '../schemas.js';

const Params = Type.Object({ name: Name });
/** Amounts stay well inside 2^53 so no single call can jump a counter out of range. */
const IncrBody = Type.Object(
  {
    by: Type.Optional(Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 })),
  },
  { additionalProperties: false },
);
const CounterResponse = Type.Object({ name: Type.String(), value: Type.Integer() });

export function counterRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authHook(ctx));
    // The body is optional (`POST /v1/counters/x` adds 1); validate an omitted one as {}.
    app.addHook('preValidation', async (req) => {
      if (req.method === 'POST' && req.body === undefined) req.body = {};
    });
    app.post('/v1/counters/:name', { schema: { params: Params, body: IncrBody, response: { 200: CounterResponse } } }, async (req) => ({
      name: req.params.name,
      value: await ctx.store.incr(appKey('counter', req.params.name), req.body.by ?? 1),
    }));
    app.get('/v1/counters/:name', { schema: { params: Params, response: { 200: CounterResponse } } }, async (req) => ({
      name: req.params.name,
      value: await ctx.store.counter(appKey('counter', req.params.name)),
    }));
  };
}
