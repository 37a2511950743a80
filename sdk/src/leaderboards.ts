/** Leaderboards: ranks start at 1, highest score first. */
import type { Caller } from './caller.js';
import { isMiniscaleError } from './errors.js';
import { segment, type RouteBody, type RouteResponse } from './routes.js';

type Standing = RouteResponse<'GET /v1/leaderboards/{board}/me'>;
type Top = RouteResponse<'GET /v1/leaderboards/{board}'>;
export type BoardEntry = Top['entries'][number];
export type ScoreMode = NonNullable<RouteBody<'PUT /v1/leaderboards/{board}/me'>['mode']>;

export interface Boards {
  /** Submits the caller's score; `best` (default) keeps the higher of the stored and the new one. */
  submit(board: string, score: number, options?: { mode?: ScoreMode }): Promise<{ score: number; rank: number }>;
  /** The first `limit` (1–100, default 10) entries. */
  top(board: string, limit?: number): Promise<BoardEntry[]>;
  /** The caller's standing, or null with no score on the board. */
  me(board: string): Promise<{ score: number; rank: number } | null>;
}

export function boards(caller: Caller): Boards {
  const path = (board: string) => `/v1/leaderboards/${segment(board)}`;
  return {
    async submit(board, score, options = {}) {
      const body: RouteBody<'PUT /v1/leaderboards/{board}/me'> = { score };
      if (options.mode) body.mode = options.mode;
      // Replaying "best" is harmless (the same score again); "set" could overwrite a newer score.
      const answer = await caller.call<Standing>({ method: 'PUT', path: `${path(board)}/me`, data: body, idempotent: body.mode !== 'set' });
      return { score: answer.data.score, rank: answer.data.rank };
    },
    async top(board, limit) {
      const query = limit === undefined ? '' : `?limit=${limit}`;
      return (await caller.call<Top>({ method: 'GET', path: path(board) + query })).data.entries;
    },
    async me(board) {
      try {
        const answer = await caller.call<Standing>({ method: 'GET', path: `${path(board)}/me` });
        return { score: answer.data.score, rank: answer.data.rank };
      } catch (err) {
        if (isMiniscaleError(err) && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    },
  };
}
