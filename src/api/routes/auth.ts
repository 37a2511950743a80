/**
 * Login with a wx.login code (WeChat's jscode2session) and logout. The session is
 * created in the store, so the token works on every node at once.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isMiniscaleError } from '../../core/errors.js';
import { appKey } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { authHook, enforce } from '../hooks.js';
import { NoContent } from '../schemas.js';

const LoginBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });
const LoginResponse = Type.Object({ token: Type.String(), openid: Type.String(), expiresAt: Type.String() });

export function authRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/v1/auth/login', { schema: { body: LoginBody, response: { 200: LoginResponse } } }, async (request) => {
      try {
        if (ctx.options.rateLimit.login > 0) await enforce(ctx, appKey('rl-login', request.ip), ctx.options.rateLimit.login, 'login');
        const wx = await ctx.wechat.code2Session(request.body.code);
        const issued = await ctx.sessions.create(wx);
        ctx.metrics.logins.inc({ outcome: 'ok' });
        return { token: issued.token, openid: wx.openid, expiresAt: issued.expiresAt.toISOString() };
      } catch (err) {
        ctx.metrics.logins.inc({ outcome: isMiniscaleError(err) ? err.code : 'INTERNAL' });
        throw err;
      }
    });

    app.post('/v1/auth/logout', { onRequest: authHook(ctx), schema: { response: { 204: NoContent } } }, async (request, reply) => {
      await ctx.sessions.revoke(request.userToken!);
      return reply.code(204).send(null);
    });
  };
}
