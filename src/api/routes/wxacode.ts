/**
 * Mini program code images (getwxacodeunlimit) for sharing: the bytes and content type
 * WeChat sent, cached in the store by their parameters (wechat/wxacode-cache.ts), with
 * a strong ETag so a client that has the image gets 304.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { ApiContext } from '../context.js';
import { authHook } from '../hooks.js';

/** WeChat's rule: at most 32 visible characters, digits, letters and !#$&'()*+,/:;=?@-._~ */
const SCENE = "^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,32}$";
/** A page path of the mini program: no leading slash, no query (parameters go in scene). */
const PAGE = '^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_.-]+)*$';
export const DEFAULT_WXACODE_WIDTH = 430;

const WxacodeQuery = Type.Object(
  {
    scene: Type.String({ pattern: SCENE }),
    page: Type.Optional(Type.String({ maxLength: 256, pattern: PAGE })),
    width: Type.Optional(Type.Integer({ minimum: 280, maximum: 1280, default: DEFAULT_WXACODE_WIDTH })),
  },
  { additionalProperties: false },
);
const Image = Type.String({ format: 'binary', description: 'The image as WeChat sent it' });
const ImageResponse = {
  description: 'The mini program code image',
  content: { 'image/jpeg': { schema: Image }, 'image/png': { schema: Image } },
};
const NotModified = Type.Null({ description: 'Not modified: the image with this ETag is the one the client has' });

export function wxacodeRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authHook(ctx));
    app.get(
      '/v1/wxacode',
      { schema: { querystring: WxacodeQuery, response: { 200: ImageResponse, 304: NotModified } } },
      async (req, reply) => {
        const { scene, page, width } = req.query;
        const image = await ctx.wxacodes.get({ scene, width: width ?? DEFAULT_WXACODE_WIDTH, ...(page === undefined ? {} : { page }) });
        // Bytes, not the JSON the type provider would check the answer against.
        const raw = reply as unknown as FastifyReply;
        void raw.header('etag', image.etag).header('cache-control', 'private, max-age=86400');
        if (matches(req.headers['if-none-match'], image.etag)) return raw.code(304).send();
        return raw.type(image.contentType).send(image.bytes);
      },
    );
  };
}

/** If-None-Match: `*`, or a list in which the ETag appears (weak or strong: RFC 9110's weak comparison). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
