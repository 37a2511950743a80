/**
 * The admin routes (`/_gateway/…`) on the public port of `miniscale up`, where the API
 * node workers take client connections themselves. The same routes and access rules as
 * the gateway's (src/gateway/admin.ts), answered for every worker: the worker that
 * received the request asks the primary, which alone knows them all. The console page
 * itself holds no data and is served to anyone, as the gateway's is.
 */
import { DrainRefusedError, ForbiddenError, NotFoundError } from '../../core/errors.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_ACCESS_MESSAGE, ADMIN_PREFIX, mayAdminister } from '../../http/admin-access.js';
import { CONSOLE_PAGE_HEADERS, CONSOLE_PAGE_HTML, isConsolePagePath } from '../../console/page.js';
import type { PrimaryLink } from '../../workers/link.js';
import type { ApiContext } from '../context.js';
import type { DrainAnswer, WorkerAskOp } from './ops.js';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

export function workerAdminRoutes(ctx: ApiContext, link: PrimaryLink): FastifyPluginAsync {
  const ask = (op: WorkerAskOp) => link.ask(op);
  return async (app) => {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      reply.header('cache-control', 'no-store');
      if (isConsolePagePath(request.url.split('?')[0]!.replace(/\/+$/, ''))) return;
      const allowed = mayAdminister(
        {
          client: request.ip,
          host: request.headers.host,
          origin: request.headers.origin,
          authorization: request.headers.authorization,
        },
        ctx.options.adminKey,
      );
      if (!allowed) throw new ForbiddenError(ADMIN_ACCESS_MESSAGE);
    });
    const dashboard = async (_request: FastifyRequest, reply: FastifyReply) => reply.headers(CONSOLE_PAGE_HEADERS).send(CONSOLE_PAGE_HTML);
    app.get(ADMIN_PREFIX, dashboard);
    app.get(`${ADMIN_PREFIX}/`, dashboard);
    app.get(`${ADMIN_PREFIX}/stats`, async () => ask({ op: 'stats' }));
    app.get(`${ADMIN_PREFIX}/upstreams`, async () => ask({ op: 'view' }));
    app.get(`${ADMIN_PREFIX}/metrics`, async (_request, reply) => reply.type(PROMETHEUS_TEXT).send(await ask({ op: 'metrics' })));
    app.post<{ Params: { ref: string; action: string } }>(`${ADMIN_PREFIX}/upstreams/:ref/:action`, async (request) => {
      const { ref, action } = request.params;
      if (action !== 'drain' && action !== 'undrain') throw new NotFoundError(`no admin route POST ${request.url.split('?')[0]}`);
      const answer = (await ask({ op: 'drain', ref, draining: action === 'drain' })) as DrainAnswer;
      if (answer.ok) return answer.upstream;
      if (answer.code === 'DRAIN_REFUSED') throw new DrainRefusedError(answer.message);
      throw new NotFoundError(answer.message);
    });
  };
}
