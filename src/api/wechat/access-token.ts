/**
 * Keeps WeChat's access_token centrally, in the store, for every node.
 *
 * WeChat invalidates a token 5 minutes after a new one is fetched from /cgi-bin/token,
 * so nodes fetching on their own would keep invalidating each other. Here one copy
 * lives in the store; it is refreshed before it expires by whichever caller takes the
 * store lock first, and everyone else reads that copy. Fetches use `stable_token`,
 * which invalidates nothing.
 *
 * A token WeChat refuses (40001/42001) is replaced once for the whole system, however
 * many requests on however many nodes saw the refusal:
 * - in one process, callers that saw the same refused token share one refresh (single
 *   flight), so a burst on one node is one attempt at the lock;
 * - across processes, the store lock decides who fetches. Its owner is unique to each
 *   acquisition, not to the node: the store's lock is re-entrant for the same owner, so
 *   an owner shared by a node's concurrent requests would let all of them in at once;
 * - whoever holds the lock reads the stored token again first: a token other than the
 *   refused one means someone already replaced it, and that one is used.
 * The fetch itself asks `stable_token` in normal mode, which hands out a new token once
 * the old one stopped working; `force_refresh` (20 a day) only when normal mode hands
 * back the very token WeChat just refused.
 */
import { UpstreamUnavailableError } from '../../core/errors.js';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/logging.js';
import { appKey, type Store } from '../../store/index.js';
import type { WechatClient } from './wechat-client.js';

const TOKEN_KEY = appKey('wechat', 'access_token');
const LOCK_NAME = 'wechat-access-token';
/**
 * Refresh this long before expiry, or at 4/5 of a shorter life. stable_token hands
 * out the next token only in the last 5 minutes of the current one; refreshing
 * inside that window means a refresh never just gets the old token back.
 */
export const DEFAULT_REFRESH_MARGIN_MS = 4 * 60_000;
/** A refresher holds the lock at most this long; another caller takes over after. */
const LOCK_TTL_MS = 15_000;
/** How often a caller waiting for another one's refresh looks at the store again. */
const WAIT_POLL_MS = 50;

interface StoredToken {
  token: string;
  expiresAt: number;
  refreshAt: number;
}

/** Told of every fetch, for the node's metrics. */
export type OnTokenFetch = (fetch: { reason: 'due' | 'rejected'; forced: boolean }) => void;

export class AccessTokenKeeper {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Refreshes under way in this process, by the token they replace. */
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly store: Store,
    private readonly wechat: WechatClient,
    private readonly owner: string,
    private readonly log: Logger,
    private readonly onFetch: OnTokenFetch = () => {},
    private readonly marginMs = DEFAULT_REFRESH_MARGIN_MS,
  ) {}

  /** A usable token: the stored one, or a fresh one when it is missing or due. */
  async get(): Promise<string> {
    const stored = await this.#read();
    if (stored && Date.now() < stored.refreshAt) return stored.token;
    return this.#shared(stored?.token, false);
  }

  /**
   * A token to retry with after WeChat refused `refused`: the one someone else already
   * put in its place, or one fetched now — once for the whole system.
   */
  replaceRejected(refused: string): Promise<string> {
    return this.#shared(refused, true);
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
      if (!stored || Date.now() >= stored.refreshAt) await this.#shared(stored?.token, false);
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

  /** One refresh per stale token in this process; later callers join it. */
  #shared(stale: string | undefined, rejected: boolean): Promise<string> {
    const key = `${rejected ? 'rejected' : 'due'}:${stale ?? ''}`;
    let running = this.#inflight.get(key);
    if (!running) {
      running = this.#refresh(stale, rejected).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, running);
    }
    return running;
  }

  /**
   * Replaces `stale` (the token the caller saw; undefined when none) unless someone
   * already did. Waits for another caller's refresh instead of fetching in parallel.
   */
  async #refresh(stale: string | undefined, rejected: boolean): Promise<string> {
    const deadline = Date.now() + LOCK_TTL_MS;
    while (Date.now() < deadline) {
      const current = await this.#read();
      if (current && isReplacement(current, stale)) return current.token;
      const lock = await this.store.acquire(LOCK_NAME, `${this.owner}.${randomBytes(8).toString('hex')}`, LOCK_TTL_MS);
      if (lock) {
        try {
          const again = await this.#read();
          if (again && isReplacement(again, stale)) return again.token;
          return await this.#fetchAndStore(stale, rejected);
        } finally {
          await this.store.release(lock).catch(() => {});
        }
      }
      // Not ours to fetch; a due but unexpired token is still usable while the holder refreshes.
      if (current && !rejected && Date.now() < current.expiresAt) return current.token;
      await sleep(WAIT_POLL_MS);
    }
    throw new UpstreamUnavailableError('no fresh WeChat access_token: the caller refreshing it did not finish');
  }

  async #fetchAndStore(stale: string | undefined, rejected: boolean): Promise<string> {
    let fetched = await this.wechat.stableToken(false);
    let forced = false;
    if (rejected && fetched.accessToken === stale) {
      // WeChat refused this very token yet still hands it out: only a forced refresh helps.
      fetched = await this.wechat.stableToken(true);
      forced = true;
    }
    const lifeMs = fetched.expiresInSec * 1000;
    const now = Date.now();
    const record: StoredToken = {
      token: fetched.accessToken,
      expiresAt: now + lifeMs,
      refreshAt: now + lifeMs - Math.min(this.marginMs, lifeMs / 5),
    };
    await this.store.set(TOKEN_KEY, { ...record }, { ttlMs: lifeMs });
    this.onFetch({ reason: rejected ? 'rejected' : 'due', forced });
    this.log.info({ expiresInSec: fetched.expiresInSec, rejected, forced }, 'fetched a new WeChat access_token');
    return record.token;
  }

  async #read(): Promise<StoredToken | null> {
    const entry = await this.store.get(TOKEN_KEY);
    const value = entry?.value as StoredToken | undefined;
    return value && typeof value.token === 'string' ? value : null;
  }
}

/** A stored token other than the stale one, not yet expired: someone already refreshed. */
function isReplacement(stored: StoredToken, stale: string | undefined): boolean {
  return stored.token !== stale && Date.now() < stored.expiresAt;
}
