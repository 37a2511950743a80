/**
 * Admin calls to WeChat on the central access_token: a check of the connection (the
 * cheapest call that needs the token) and subscribe messages to a user. Both go
 * through the one WeChat platform client (refresh-once on 40001/42001, retry on -1).
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiContext } from '../context.js';
import { adminHook } from '../hooks.js';

const CheckResponse = Type.Object({ ok: Type.Boolean(), callbackIps: Type.Integer() });

/** Template keys as WeChat names them: a type and a number (`thing1`, `character_string2`, `time5`). */
const DATA_KEY = '^[a-z_]{1,32}[0-9]{1,3}$';
const SubscribeBody = Type.Object(
  {
    touser: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'The openid of the user who subscribed' }),
    template_id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' }),
    // A page of this mini program; unlike a mini program code's, it may carry a query.
    page: Type.Optional(Type.String({ maxLength: 1024, pattern: '^(?!/)[\\x21-\\x7e]+$' })),
    data: Type.Record(
      Type.String({ pattern: DATA_KEY }),
      Type.Object({ value: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
      {
        minProperties: 1,
        maxProperties: 20,
        additionalProperties: false,
      },
    ),
    miniprogram_state: Type.Optional(Type.Union([Type.Literal('developer'), Type.Literal('trial'), Type.Literal('formal')])),
  },
  { additionalProperties: false },
);
const SubscribeResponse = Type.Object({
  msgid: Type.String({ pattern: '^[0-9]{1,20}$', description: "WeChat's 64-bit msgid, every digit kept" }),
});

export function adminWechatRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', adminHook(ctx));
    app.get('/v1/admin/wechat/check', { schema: { response: { 200: CheckResponse } } }, async () => {
      const ips = await ctx.platform.callbackIps();
      return { ok: true, callbackIps: ips.length };
    });

    app.post(
      '/v1/admin/wechat/subscribe-message',
      { schema: { body: SubscribeBody, response: { 200: SubscribeResponse } } },
      async (req) => {
        const { touser, template_id, page, data, miniprogram_state } = req.body;
        const msgid = await ctx.platform.sendSubscribeMessage({
          touser,
          template_id,
          data,
          miniprogram_state: miniprogram_state ?? 'formal',
          ...(page === undefined ? {} : { page }),
        });
        return { msgid };
      },
    );
  };
}
