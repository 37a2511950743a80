/**
 * The caller's private data (`/v1/me/kv`) and the app's public data (`/v1/kv`), with
 * versions for compare-and-set, and `update`: read, apply, write only if nobody wrote in
 * between, else read again — so two devices updating one value never lose a write.
 */
import type { Caller } from './caller.js';
import { isMiniscaleError } from './errors.js';
import { segment, type RouteBody, type RouteResponse } from './routes.js';

type KvAnswer = RouteResponse<'GET /v1/me/kv/{key}'>;

export interface Entry<T = unknown> {
  value: T;
  version: KvAnswer['version'];
  expiresAt: KvAnswer['expiresAt'];
}

export interface SetOptions {
  /** Seconds until the value expires; without it the value stays. */
  ttl?: number;
  /** Write only if the stored version is this one (`If-Match`), else VERSION_CONFLICT. */
  ifVersion?: number;
  /** Write only if there is no value yet (`If-None-Match: *`), else VERSION_CONFLICT. */
  ifAbsent?: boolean;
}

export interface UpdateOptions {
  /** Re-reads after a conflict before giving up with VERSION_CONFLICT. @default 5 */
  retries?: number;
  ttl?: number;
}

export const DEFAULT_UPDATE_RETRIES = 5;

export interface PrivateKv {
  get<T = unknown>(key: string): Promise<Entry<T> | null>;
  set<T>(key: string, value: T, options?: SetOptions): Promise<Entry<T>>;
  /** true when a value was deleted, false when there was none. */
  delete(key: string, options?: { ifVersion?: number }): Promise<boolean>;
  /** `fn` gets the current value (undefined when none) and returns the new one; it may run more than once. */
  update<T>(key: string, fn: (current: T | undefined) => T, options?: UpdateOptions): Promise<Entry<T>>;
}

export interface PublicKv {
  get<T = unknown>(key: string): Promise<Entry<T> | null>;
}

export function privateKv(caller: Caller): PrivateKv {
  const path = (key: string) => `/v1/me/kv/${segment(key)}`;
  const kv: PrivateKv = {
    get: (key) => readEntry(caller, path(key)),
    async set<T>(key: string, value: T, options: SetOptions = {}) {
      const body: RouteBody<'PUT /v1/me/kv/{key}'> = { value };
      if (options.ttl !== undefined) body.ttl = options.ttl;
      const header: Record<string, string> = {};
      if (options.ifVersion !== undefined) header['if-match'] = `"${options.ifVersion}"`;
      if (options.ifAbsent) header['if-none-match'] = '*';
      const answer = await caller.call<KvAnswer>({ method: 'PUT', path: path(key), data: body, header });
      return entryOf<T>(answer.data);
    },
    async delete(key, options = {}) {
      const header: Record<string, string> = options.ifVersion === undefined ? {} : { 'if-match': `"${options.ifVersion}"` };
      try {
        await caller.call({ method: 'DELETE', path: path(key), header });
        return true;
      } catch (err) {
        if (isMiniscaleError(err) && err.code === 'NOT_FOUND') return false;
        throw err;
      }
    },
    async update<T>(key: string, fn: (current: T | undefined) => T, options: UpdateOptions = {}) {
      const retries = options.retries ?? DEFAULT_UPDATE_RETRIES;
      for (let conflicts = 0; ; conflicts++) {
        const current = await kv.get<T>(key);
        const next = fn(current ? current.value : undefined);
        const condition = current ? { ifVersion: current.version } : { ifAbsent: true };
        try {
          return await kv.set(key, next, { ...condition, ttl: options.ttl });
        } catch (err) {
          if (!isMiniscaleError(err) || err.code !== 'VERSION_CONFLICT' || conflicts >= retries) throw err;
        }
      }
    },
  };
  return kv;
}

export function publicKv(caller: Caller): PublicKv {
  return { get: (key) => readEntry(caller, `/v1/kv/${segment(key)}`) };
}

async function readEntry<T>(caller: Caller, path: string): Promise<Entry<T> | null> {
  try {
    const answer = await caller.call<KvAnswer>({ method: 'GET', path });
    return entryOf<T>(answer.data);
  } catch (err) {
    if (isMiniscaleError(err) && err.code === 'NOT_FOUND') return null;
    throw err;
  }
}

function entryOf<T>(data: KvAnswer): Entry<T> {
  return { value: data.value as T, version: data.version, expiresAt: data.expiresAt };
}
