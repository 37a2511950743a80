/**
 * Leaderboards: one sorted set per board, members are openids. Ranks start at 1,
 * highest score first; equal scores are ordered by openid (see docs/store.md).
 */
import { NotFoundError } from '../../core/errors.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appKey } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { authHook } from '../hooks.js';
import { Name } from '../schemas.js';

const Params = Type.Object({ board: Name });
const ScoreBody = Type.Object(
  {
    // JSON cannot carry NaN or Infinity, and 1e309 parses to Infinity: the bound refuses it.
    score: Type.Number({ minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE }),
    mode: Type.Optional(Type.Union([Type.Literal('best'), Type.Literal('set')])),
  },
  { additionalProperties: false },
);
const Standing = Type.Object({ board: Type.String(), openid: Type.String(), score: Type.Number(), rank: Type.Integer() });
const TopQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })) },
  { additionalProperties: false },
);
const Top = Type.Object({
  board: Type.String(),
  entries: Type.Array(Type.Object({ rank: Type.Integer(), openid: Type.String(), score: Type.Number() })),
});

export function leaderboardRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authHook(ctx));
    const boardKey = (board: string) => appKey('board', board);

    app.put('/v1/leaderboards/:board/me', { schema: { params: Params, body: ScoreBody, response: { 200: Standing } } }, async (req) => {
      const result = await ctx.store.zset(boardKey(req.params.board), req.user!.openid, req.body.score, { mode: req.body.mode ?? 'best' });
      return { board: req.params.board, openid: result.member, score: result.score, rank: result.rank };
    });

    app.get('/v1/leaderboards/:board/me', { schema: { params: Params, response: { 200: Standing } } }, async (req) => {
      const key = boardKey(req.params.board);
      const openid = req.user!.openid;
      const [score, rank] = await Promise.all([ctx.store.zscore(key, openid), ctx.store.zrank(key, openid)]);
      if (score === null || rank === null) throw new NotFoundError(`no score on board ${req.params.board} yet`);
      return { board: req.params.board, openid, score, rank };
    });

    app.get('/v1/leaderboards/:board', { schema: { params: Params, querystring: TopQuery, response: { 200: Top } } }, async (req) => {
      const top = await ctx.store.ztop(boardKey(req.params.board), req.query.limit ?? 10);
      return { board: req.params.board, entries: top.map((e) => ({ rank: e.rank, openid: e.member, score: e.score })) };
    });
  };
}
