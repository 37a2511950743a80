/**
 * GET / PUT / DELETE of one versioned JSON entry over HTTP, shared by the per-user
 * (`/v1/me/kv`), public (`/v1/kv`) and admin (`/v1/admin/kv`) routes: only the store
 * key differs. Conditional headers map onto the store's compare-and-set.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, PayloadTooLargeError, VersionConflictError } from '../core/errors.js';
import { encodeJson } from '../store/validation.js';
import type { Entry, JsonEntry, JsonValue, SetOptions, Store } from '../store/index.js';
import { etagOf, notModifiedVersions, writePrecondition, type Precondition } from './conditional.js';
import { MAX_VALUE_BYTES, MAX_VALUE_DEPTH } from './schemas.js';

export interface KvResponse {
  key: string;
  value: unknown;
  version: number;
  expiresAt: string | null;
}

function toResponse(key: string, entry: Entry): KvResponse {
  return {
    key,
    value: entry.value,
    version: entry.version,
    expiresAt: entry.expiresAt === null ? null : new Date(entry.expiresAt).toISOString(),
  };
}

/**
 * A read answers the stored JSON text as it is, in a body written by hand (entryJson):
 * parsing the value only for the response serializer to write it out again was a
 * quarter of the cost of a GET's store read (bench/api). On a store that reads locally
 * (embedded) the whole read is synchronous: no promise between the request and the
 * answer. Either way the answer is sent here, not returned: the route's type is its
 * schema's object, and a string with a JSON content type is sent as it is.
 */
export function readEntry(store: Store, storeKey: string, key: string, request: FastifyRequest, reply: FastifyReply): void | Promise<void> {
  const entry = store.getJsonNow(storeKey);
  if (entry === undefined) return store.getJson(storeKey).then((e) => answerRead(e, key, request, reply));
  answerRead(entry, key, request, reply);
}

function answerRead(entry: JsonEntry | null, key: string, request: FastifyRequest, reply: FastifyReply): void {
  if (!entry) throw new NotFoundError(`no value at key ${key}`);
  reply.header('etag', etagOf(entry.version));
  const unchanged = notModifiedVersions(header(request, 'if-none-match'));
  if (unchanged === '*' || unchanged.includes(entry.version)) {
    void reply.code(304).send();
    return;
  }
  void reply.header('content-type', JSON_UTF8).send(entryJson(key, entry));
}

/** What Fastify sets for a serialised object; a string body keeps the type it is given. */
const JSON_UTF8 = 'application/json; charset=utf-8';

/**
 * The KvEntry response (schemas.ts), byte for byte what its serializer writes for
 * toResponse(key, entry): `json` is JSON.stringify of the value (the store writes
 * nothing else), and JSON.stringify(JSON.parse(s)) === s for such text.
 */
export function entryJson(key: string, entry: JsonEntry): string {
  const expiresAt = entry.expiresAt === null ? 'null' : `"${new Date(entry.expiresAt).toISOString()}"`;
  return `{"key":${JSON.stringify(key)},"value":${entry.json},"version":${entry.version},"expiresAt":${expiresAt}}`;
}

export async function writeEntry(
  store: Store,
  storeKey: string,
  key: string,
  body: { value: unknown; ttl?: number },
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<KvResponse> {
  const value = checkValue(body.value);
  const opts: SetOptions = {
    ...(body.ttl ? { ttlMs: body.ttl * 1000 } : {}),
    ...(await toStoreCondition(store, storeKey, key, preconditionOf(request, true))),
  };
  const entry = await publicConflict(key, store.set(storeKey, value, opts));
  reply.header('etag', etagOf(entry.version));
  return toResponse(key, entry);
}

export async function deleteEntry(
  store: Store,
  storeKey: string,
  key: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const condition = await toStoreCondition(store, storeKey, key, preconditionOf(request, false));
  const deleted = await publicConflict(key, store.delete(storeKey, condition));
  if (!deleted) throw new NotFoundError(`no value at key ${key}`);
  await reply.code(204).send();
}

/** The API's limits (64 KiB, 64 levels), stricter than the store's, with the API's codes. */
function checkValue(value: unknown): JsonValue {
  const json = encodeJson(value, Number.POSITIVE_INFINITY, MAX_VALUE_DEPTH);
  if (Buffer.byteLength(json) > MAX_VALUE_BYTES) {
    throw new PayloadTooLargeError(`value is ${Buffer.byteLength(json)} bytes as JSON; the limit is ${MAX_VALUE_BYTES}`);
  }
  return value as JsonValue;
}

function preconditionOf(request: FastifyRequest, isPut: boolean): Precondition {
  return writePrecondition(header(request, 'if-match'), header(request, 'if-none-match'), isPut);
}

/**
 * The store compares one version; `*` and lists are resolved against the current
 * version first. The store's compare-and-set still guards the write, so a change in
 * between is a 412, never a lost update.
 */
async function toStoreCondition(
  store: Store,
  storeKey: string,
  key: string,
  pre: Precondition,
): Promise<Pick<SetOptions, 'ifVersion' | 'ifAbsent'>> {
  switch (pre.kind) {
    case 'none':
      return {};
    case 'absent':
      return { ifAbsent: true };
    case 'versions':
      if (pre.versions.length === 1) return { ifVersion: pre.versions[0]! };
      break;
    case 'exists':
      break;
  }
  const current = await store.get(storeKey);
  if (!current || (pre.kind === 'versions' && !pre.versions.includes(current.version))) {
    throw new VersionConflictError(`precondition failed for key ${key}`, current?.version ?? null);
  }
  return { ifVersion: current.version };
}

/** Store messages name internal keys; clients get one that names theirs. */
async function publicConflict<T>(key: string, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (!(err instanceof VersionConflictError)) throw err;
    const found = err.currentVersion === null ? 'there is no value' : `the current version is ${err.currentVersion}`;
    throw new VersionConflictError(`precondition failed for key ${key}: ${found}`, err.currentVersion);
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
