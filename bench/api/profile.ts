/**
 * Where the API node's (and the peer's) CPU goes: the buckets of their frames. Code V8
 * compiles at run time (Ajv's validators, fast-json-stringify's serializers) has no
 * file; it is recognised by its function names.
 */
import { commonBucket, type CallFrame } from '../support/cpu-profile.js';

const HASH_NATIVES = new Set(['digest', 'update', 'Hash', 'createHash']);

export const OURS_AUTH = 'ours: auth (bearer token, SHA-256, session lookup)';
export const OURS_API = 'ours: API node (hooks, routes, kv, conditional, errors)';
export const OURS_STORE = 'ours: store wrapper + driver';

/** The bucket of one frame; order matters (first match wins). */
export function apiBucket(f: CallFrame): string | null {
  const { functionName: name, url } = f;
  if (url.includes('/seed-stack/node/')) return 'peer app (kv.js)';
  if (/\/(dist|src)\/api\/auth\//.test(url) || /\/(dist|src)\/http\/admin-key/.test(url)) return OURS_AUTH;
  if (/\/(dist|src)\/(api|http)\//.test(url)) return OURS_API;
  if (/\/(dist|src)\/store\//.test(url)) return OURS_STORE;
  if (url.includes('/node_modules/lmdb/') || url.includes('/node_modules/msgpackr/') || url.includes('/node_modules/ordered-binary/'))
    return 'lmdb (lmdb-js, msgpackr, ordered-binary)';
  if (/\/node_modules\/(ioredis|redis-parser|redis-errors|denque|cluster-key-slot|standard-as-callback)\//.test(url)) return 'ioredis';
  if (url.includes('/node_modules/find-my-way/')) return 'find-my-way (router)';
  if (url.includes('/node_modules/fast-json-stringify/') || (!url && /^anonymous\d*$/.test(name)))
    return 'serialization (fast-json-stringify, generated code)';
  if (url.includes('/node_modules/ajv') || (!url && /^validate\d*$/.test(name))) return 'validation (ajv, generated code)';
  if (
    /\/node_modules\/(fastify|avvio|light-my-request|@fastify\/|fastq|toad-cache|process-warning|abstract-logging|rfdc|fast-querystring|secure-json-parse|proxy-addr|forwarded|ipaddr\.js)/.test(
      url,
    )
  )
    return 'fastify core (hooks, reply, request, content-type)';
  if (url.startsWith('node:internal/crypto') || (!url && HASH_NATIVES.has(name))) return 'node crypto (hashing)';
  return commonBucket(f);
}
