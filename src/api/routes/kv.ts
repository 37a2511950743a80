/**
 * Versioned JSON data: the caller's own (`/v1/me/kv`), app-wide data every signed-in
 * user reads (`/v1/kv`), and the admin routes that write it (`/v1/admin/kv`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appKey, userKey } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { adminHook, authHook } from '../hooks.js';
import { deleteEntry, readEntry, writeEntry } from '../kv-resource.js';
import { KeyParams, KvEntry, KvPutBody, NoContent } from '../schemas.js';

/** Reads are not async functions: on the embedded store they answer synchronously (kv-resource.ts). */
const read = { params: KeyParams, response: { 200: KvEntry } };
const write = { params: KeyParams, body: KvPutBody, response: { 200: KvEntry } };
const remove = { params: KeyParams, response: { 204: NoContent } };

export function userKvRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authHook(ctx));
    const keyOf = (openid: string, key: string) => userKey(openid, 'kv', key);
    app.get('/v1/me/kv/:key', { schema: read }, (req, reply) =>
      readEntry(ctx.store, keyOf(req.user!.openid, req.params.key), req.params.key, req, reply),
    );
    app.put('/v1/me/kv/:key', { schema: write }, async (req, reply) =>
      writeEntry(ctx.store, keyOf(req.user!.openid, req.params.key), req.params.key, req.body, req, reply),
    );
    app.delete('/v1/me/kv/:key', { schema: remove }, async (req, reply) =>
      deleteEntry(ctx.store, keyOf(req.user!.openid, req.params.key), req.params.key, req, reply),
    );
  };
}

export function publicKvRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authHook(ctx));
    app.get('/v1/kv/:key', { schema: read }, (req, reply) =>
      readEntry(ctx.store, appKey('kv', req.params.key), req.params.key, req, reply),
    );
  };
}

export function adminKvRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', adminHook(ctx));
    app.get('/v1/admin/kv/:key', { schema: read }, (req, reply) =>
      readEntry(ctx.store, appKey('kv', req.params.key), req.params.key, req, reply),
    );
    app.put('/v1/admin/kv/:key', { schema: write }, async (req, reply) =>
      writeEntry(ctx.store, appKey('kv', req.params.key), req.params.key, req.body, req, reply),
    );
    app.delete('/v1/admin/kv/:key', { schema: remove }, async (req, reply) =>
      deleteEntry(ctx.store, appKey('kv', req.params.key), req.params.key, req, reply),
    );
  };
}
