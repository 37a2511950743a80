/**
 * Mini program code images, cached in the store by their parameters. WeChat rate-limits
 * getwxacodeunlimit (45009) and a code is valid forever, so the same scene/page/width
 * is asked of WeChat once while it is cached, whichever node serves it: concurrent
 * requests for one image in one process share one fetch, and across processes the
 * fetcher holds a lease on the image (a key created only if absent, with a TTL) while
 * the others wait for the cached copy. A lease rather than the store's lock: a lock
 * keeps a fencing counter per name forever, and there is one name per image. The ETag
 * is a hash of the bytes, so it is the same on every node.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/logging.js';
import { isMiniscaleError, UpstreamUnavailableError } from '../../core/errors.js';
import { appKey, type Store } from '../../store/index.js';
import type { WechatPlatform, WxacodeRequest } from './platform.js';

/** @default 30 days: a code never expires; the bound only lets a renamed page's code age out. */
export const WXACODE_CACHE_TTL_MS = 30 * 24 * 3600 * 1000;
/** Base64 of a larger image would not fit the store's 1 MiB values; it is served uncached. */
const MAX_CACHED_IMAGE_BYTES = 640 * 1024;
/** Longer than a WeChat call with its retries; a fetcher that died frees the image after it. */
const FETCH_LEASE_TTL_MS = 20_000;
/** How often a request waiting on another node's fetch looks for the cached image. */
const WAIT_POLL_MS = 50;

export interface CachedWxacode {
  contentType: string;
  bytes: Buffer;
  /** A strong ETag, quoted. */
  etag: string;
}

interface StoredImage {
  contentType: string;
  etag: string;
  base64: string;
}

export class WxacodeCache {
  readonly #inflight = new Map<string, Promise<CachedWxacode>>();

  constructor(
    private readonly store: Store,
    private readonly platform: WechatPlatform,
    /** This node's id: the lock owner's prefix. */
    private readonly owner: string,
    private readonly log: Logger,
    private readonly ttlMs = WXACODE_CACHE_TTL_MS,
  ) {}

  async get(req: WxacodeRequest): Promise<CachedWxacode> {
    const hash = hashOf(req);
    const stored = await this.#cached(hash);
    if (stored) return stored;
    let running = this.#inflight.get(hash);
    if (!running) {
      running = this.#fetchOnce(hash, req).finally(() => this.#inflight.delete(hash));
      this.#inflight.set(hash, running);
    }
    return running;
  }

  /** Fetches under the image's lease, or waits for whoever holds it to cache the image. */
  async #fetchOnce(hash: string, req: WxacodeRequest): Promise<CachedWxacode> {
    const leaseKey = appKey('wxacode-fetch', hash);
    const deadline = Date.now() + 2 * FETCH_LEASE_TTL_MS;
    while (Date.now() < deadline) {
      const lease = await this.#takeLease(leaseKey);
      if (lease !== null) {
        try {
          return (await this.#cached(hash)) ?? (await this.#fetch(appKey('wxacode', hash), req));
        } finally {
          await this.store.delete(leaseKey, { ifVersion: lease }).catch(() => {});
        }
      }
      await sleep(WAIT_POLL_MS);
      const cached = await this.#cached(hash);
      // Not cached when the holder's call failed (it answered its own error): try in turn.
      if (cached) return cached;
    }
    throw new UpstreamUnavailableError('the mini program code was being fetched by other requests for too long');
  }

  /** The lease's version when this caller got it; null when someone else holds it. */
  async #takeLease(leaseKey: string): Promise<number | null> {
    try {
      const entry = await this.store.set(leaseKey, `${this.owner}.${randomBytes(8).toString('hex')}`, {
        ifAbsent: true,
        ttlMs: FETCH_LEASE_TTL_MS,
      });
      return entry.version;
    } catch (err) {
      if (isMiniscaleError(err) && err.code === 'VERSION_CONFLICT') return null;
      throw err;
    }
  }

  async #cached(hash: string): Promise<CachedWxacode | null> {
    return imageOf((await this.store.get(appKey('wxacode', hash)))?.value);
  }

  async #fetch(key: string, req: WxacodeRequest): Promise<CachedWxacode> {
    const image = await this.platform.wxacode(req);
    const etag = `"${createHash('sha256').update(image.bytes).digest('base64url').slice(0, 32)}"`;
    if (image.bytes.length <= MAX_CACHED_IMAGE_BYTES) {
      const value: StoredImage = { contentType: image.contentType, etag, base64: image.bytes.toString('base64') };
      // The image is good either way: a store that fails now only costs a WeChat call later.
      await this.store
        .set(key, { ...value }, { ttlMs: this.ttlMs })
        .catch((err: unknown) => this.log.warn({ err }, 'could not cache a mini program code'));
    } else {
      this.log.warn({ bytes: image.bytes.length }, 'mini program code too large to cache');
    }
    return { contentType: image.contentType, bytes: image.bytes, etag };
  }
}

/** The image's name in the store and its lock's: a hash of the parameters WeChat gets. */
function hashOf(req: WxacodeRequest): string {
  const params = JSON.stringify([req.scene, req.page ?? '', req.width]);
  return createHash('sha256').update(params).digest('base64url');
}

function imageOf(value: unknown): CachedWxacode | null {
  const v = value as Partial<StoredImage> | undefined;
  if (!v || typeof v.contentType !== 'string' || typeof v.etag !== 'string' || typeof v.base64 !== 'string') return null;
  return { contentType: v.contentType, etag: v.etag, bytes: Buffer.from(v.base64, 'base64') };
}
