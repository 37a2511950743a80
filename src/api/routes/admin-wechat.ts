/**
 * Admin check of the WeChat connection: makes one call that needs the access_token,
 * through the central token keeper (so it also shows the refresh-once-on-40001 path).
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiContext } from '../context.js';
import { adminHook } from '../hooks.js';

const CheckResponse = Type.Object({ ok: Type.Boolean(), callbackIps: Type.Integer() });

export function adminWechatRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', adminHook(ctx));
    app.get('/v1/admin/wechat/check', { schema: { response: { 200: CheckResponse } } }, async () => {
      const ips = await ctx.tokens.withToken((token) => ctx.wechat.callbackIps(token));
      return { ok: true, callbackIps: ips.length };
    });
  };
}
