/**
 * Mini program code images, cached in the store by their parameters. WeChat rate-limits
 * getwxacodeunlimit (45009) and a code is valid forever, so the same scene/page/width
 * is asked of WeChat once while it is cached, whichever node serves it; concurrent
 * requests for one image in one process share that call. The ETag is a hash of the
 * bytes, so it is the same on every node.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../logging.js';
import { appKey, type Store } from '../../store/index.js';
import type { WechatPlatform, WxacodeRequest } from './platform.js';

/** @default 30 days: a code never expires; the bound only lets a renamed page's code age out. */
export const WXACODE_CACHE_TTL_MS = 30 * 24 * 3600 * 1000;
/** Base64 of a larger image would not fit the store's 1 MiB values; it is served uncached. */
const MAX_CACHED_IMAGE_BYTES = 640 * 1024;

export interface CachedWxacode {
  contentType: string;
  bytes: Buffer;
  /** A strong ETag, quoted. */
  etag: string;
}

interface StoredImage { contentType: string; etag: string; base64: string }

export class WxacodeCache {
  readonly #inflight = new Map<string, Promise<CachedWxacode>>();

  constructor(
    private readonly store: Store,
    private readonly platform: WechatPlatform,
    private readonly log: Logger,
    private readonly ttlMs = WXACODE_CACHE_TTL_MS,
  ) {}

  async get(req: WxacodeRequest): Promise<CachedWxacode> {
    const key = keyOf(req);
    const stored = imageOf((await this.store.get(key))?.value);
    if (stored) return stored;
    let running = this.#inflight.get(key);
    if (!running) {
      running = this.#fetch(key, req).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, running);
    }
    return running;
  }

  async #fetch(key: string, req: WxacodeRequest): Promise<CachedWxacode> {
    const image = await this.platform.wxacode(req);
    const etag = `"${createHash('sha256').update(image.bytes).digest('base64url').slice(0, 32)}"`;
    if (image.bytes.length <= MAX_CACHED_IMAGE_BYTES) {
      const value: StoredImage = { contentType: image.contentType, etag, base64: image.bytes.toString('base64') };
      // The image is good either way: a store that fails now only costs a WeChat call later.
      await this.store.set(key, { ...value }, { ttlMs: this.ttlMs }).catch((err: unknown) => this.log.warn({ err }, 'could not cache a mini program code'));
    } else {
      this.log.warn({ bytes: image.bytes.length }, 'mini program code too large to cache');
    }
    return { contentType: image.contentType, bytes: image.bytes, etag };
  }
}

function keyOf(req: WxacodeRequest): string {
  const params = JSON.stringify([req.scene, req.page ?? '', req.width]);
  return appKey('wxacode', createHash('sha256').update(params).digest('base64url'));
}

function imageOf(value: unknown): CachedWxacode | null {
  const v = value as Partial<StoredImage> | undefined;
  if (!v || typeof v.contentType !== 'string' || typeof v.etag !== 'string' || typeof v.base64 !== 'string') return null;
  return { contentType: v.contentType, etag: v.etag, bytes: Buffer.from(v.base64, 'base64') };
}
