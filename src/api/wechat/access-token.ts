/**
 * Keeps WeChat's access_token centrally, in the store, for every node.
 *
 * WeChat invalidates a token 5 minutes after a new one is fetched from /cgi-bin/token,
 * so nodes fetching on their own would keep invalidating each other. Here one copy
 * lives in the store; it is refreshed before it expires by whichever node takes the
 * store lock first, and every other node reads that copy. Fetches use `stable_token`,
 * which invalidates nothing. A token WeChat rejects (40001/42001) is replaced once —
 * only if the store still holds that same token, so a burst of rejections from many
 * requests and nodes still causes a single refresh.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logging.js';
import { appKey, type Store } from '../../store/index.js';
import { UpstreamUnavailableError } from '../errors.js';
import { WechatTokenRejectedError, type WechatClient } from './wechat-client.js';

const TOKEN_KEY = appKey('wechat', 'access_token');
const LOCK_NAME = 'wechat-access-token';
/**
 * Refresh this long before expiry, or at 4/5 of a shorter life. stable_token hands
 * out the next token only in the last 5 minutes of the current one; refreshing
 * inside that window means a refresh never just gets the old token back.
 */
export const DEFAULT_REFRESH_MARGIN_MS = 4 * 60_000;
/** A refresher holds the lock at most this long; another node takes over after. */
const LOCK_TTL_MS = 15_000;

interface StoredToken { token: string; expiresAt: number; refreshAt: number }

export class AccessTokenKeeper {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly store: Store,
    private readonly wechat: WechatClient,
    private readonly owner: string,
    private readonly log: Logger,
    private readonly marginMs = DEFAULT_REFRESH_MARGIN_MS,
  ) {}

  /** A usable token: the stored one, or a fresh one when it is missing or due. */
  async get(): Promise<string> {
    const stored = await this.#read();
    if (stored && Date.now() < stored.refreshAt) return stored.token;
    return this.#refresh(stored?.token, false);
  }

  /** Runs `call` with the token; if WeChat rejects the token, refreshes once and retries once. */
  async withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.get();
    try {
      return await call(token);
    } catch (err) {
      if (!(err instanceof WechatTokenRejectedError)) throw err;
      this.log.warn({ errcode: err.errcode }, 'WeChat rejected the access_token; refreshing once');
      return call(await this.#refresh(token, true));
    }
  }

  /** Refreshes in the background shortly before the stored token is due. */
  start(): void {
    void this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #schedule(): Promise<void> {
    if (this.#stopped) return;
    let delay = 30_000;
    try {
      const stored = await this.#read();
      if (!stored || Date.now() >= stored.refreshAt) await this.#refresh(stored?.token, false);
      const next = await this.#read();
      // Jitter spreads the nodes' wake-ups; the lock makes a single one fetch anyway.
      if (next) delay = Math.max(1_000, next.refreshAt - Date.now() + Math.random() * 1_000);
    } catch (err) {
      this.log.warn({ err }, 'access_token refresh failed; will retry');
      delay = 5_000;
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#schedule(), delay);
    this.#timer.unref();
  }

  /**
   * Replaces `stale` (the token the caller saw; undefined when none) unless someone
   * already did. Waits for another node's refresh instead of fetching in parallel.
   */
  async #refresh(stale: string | undefined, rejected: boolean): Promise<string> {
    const deadline = Date.now() + LOCK_TTL_MS;
    while (Date.now() < deadline) {
      const current = await this.#read();
      if (current && current.token !== stale && Date.now() < current.expiresAt) return current.token;
      const lock = await this.store.acquire(LOCK_NAME, this.owner, LOCK_TTL_MS);
      if (lock) {
        try {
          const again = await this.#read();
          if (again && again.token !== stale && Date.now() < again.expiresAt) return again.token;
          return await this.#fetchAndStore(rejected);
        } finally {
          await this.store.release(lock).catch(() => {});
        }
      }
      // Not ours to fetch; an unexpired token is still usable while the holder refreshes.
      if (current && !rejected && Date.now() < current.expiresAt) return current.token;
      await sleep(100);
    }
    throw new UpstreamUnavailableError('no fresh WeChat access_token: the node refreshing it did not finish');
  }

  async #fetchAndStore(forceRefresh: boolean): Promise<string> {
    const fetched = await this.wechat.stableToken(forceRefresh);
    const lifeMs = fetched.expiresInSec * 1000;
    const now = Date.now();
    const record: StoredToken = {
      token: fetched.accessToken,
      expiresAt: now + lifeMs,
      refreshAt: now + lifeMs - Math.min(this.marginMs, lifeMs / 5),
    };
    await this.store.set(TOKEN_KEY, { ...record }, { ttlMs: lifeMs });
    this.log.info({ expiresInSec: fetched.expiresInSec, forceRefresh }, 'fetched a new WeChat access_token');
    return record.token;
  }

  async #read(): Promise<StoredToken | null> {
    const entry = await this.store.get(TOKEN_KEY);
    const value = entry?.value as StoredToken | undefined;
    return value && typeof value.token === 'string' ? value : null;
  }
}
