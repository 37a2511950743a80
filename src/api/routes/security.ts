/**
 * Checks user text before it is shown to others, as WeChat requires of user content:
 * msg_sec_check version 2, with the caller's openid and the scene always sent.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiContext } from '../context.js';
import { authHook } from '../hooks.js';

/** WeChat's limit: 2500 characters (code points; what JSON Schema's maxLength counts). */
export const MAX_TEXT_CHARS = 2500;

const TextBody = Type.Object(
  {
    content: Type.String({ minLength: 1, maxLength: MAX_TEXT_CHARS }),
    /** 1 profile, 2 comment, 3 forum, 4 social log (WeChat's scenes). */
    scene: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)])),
  },
  { additionalProperties: false },
);
const TextResponse = Type.Object({
  suggest: Type.Union([Type.Literal('pass'), Type.Literal('review'), Type.Literal('risky')]),
  label: Type.Integer(),
});

export function securityRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authHook(ctx));
    app.post('/v1/security/text', { schema: { body: TextBody, response: { 200: TextResponse } } }, async (req) =>
      ctx.platform.checkText(req.user!.openid, req.body.content, req.body.scene ?? 2),
    );
  };
}
