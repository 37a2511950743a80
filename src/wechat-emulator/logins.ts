/**
 * jscode2session's state: which codes were used, and how many logins each user made in
 * the last minute. Both forget on their own, so memory stays bounded however long the
 * emulator runs: a used code is remembered for `usedCodeMemorySec` (WeChat's codes die
 * after 5 minutes anyway), a user's window holds at most `limit` timestamps of the last
 * 60 s, and each set has a hard cap that drops its oldest entries first.
 */
import { ERR, WechatApiError } from './errcodes.js';
import { BLOCKED_PREFIX, devCodeUser, devOpenid, devUnionid, newSessionKey } from './identity.js';

const WINDOW_MS = 60_000;
/** Caps that no test reaches but that keep a flood from growing the process without end. */
const MAX_USED_CODES = 500_000;
const MAX_USERS = 100_000;

export interface Code2SessionResult {
  openid: string;
  session_key: string;
  unionid?: string;
}

export interface LoginBookOptions {
  appid: string;
  limitPerMinute: number;
  usedCodeMemoryMs: number;
  unionid: boolean;
}

export class LoginBook {
  /** code → when it was used; insertion order is age order. */
  readonly #usedCodes = new Map<string, number>();
  /** openid → timestamps of its logins in the last minute, oldest first. */
  readonly #windows = new Map<string, number[]>();
  /** openid → its latest session_key and when it last logged in; oldest login first. */
  readonly #users = new Map<string, { sessionKey: string; lastLoginAt: number }>();

  constructor(private readonly opts: LoginBookOptions) {}

  /**
   * Exchanges a code as WeChat does: 40029 for a code it never issued, 40163 for one
   * already exchanged, 40226 for a blocked user, 45011 past 100 logins a minute for one
   * user. Only a successful exchange uses the code up and counts against the limit.
   */
  exchange(code: string, now = Date.now()): Code2SessionResult {
    const name = devCodeUser(code);
    if (name === null) throw new WechatApiError(ERR.INVALID_CODE);
    if (this.#usedCodes.has(code)) throw new WechatApiError(ERR.CODE_USED);
    if (name.startsWith(BLOCKED_PREFIX)) throw new WechatApiError(ERR.CODE_BLOCKED);
    const openid = devOpenid(this.opts.appid, name);
    const window = this.#window(openid, now);
    if (window.length >= this.opts.limitPerMinute) throw new WechatApiError(ERR.MINUTE_QUOTA);
    window.push(now);
    this.#usedCodes.set(code, now);
    trim(this.#usedCodes, MAX_USED_CODES);
    const sessionKey = newSessionKey();
    // Re-inserted so the map stays in order of last login (trim drops the longest idle).
    this.#users.delete(openid);
    this.#users.set(openid, { sessionKey, lastLoginAt: now });
    trim(this.#users, MAX_USERS);
    return {
      openid,
      session_key: sessionKey,
      ...(this.opts.unionid ? { unionid: devUnionid(name) } : {}),
    };
  }

  /**
   * The session_key WeChat's client shares with the server for this user now (the one
   * from their latest login), or undefined for a user who never logged in.
   */
  sessionKeyOf(openid: string): string | undefined {
    return this.#users.get(openid)?.sessionKey;
  }

  /** Whether the user logged in within `withinMs` (msg_sec_check wants users active in the last 2 hours). */
  isActive(openid: string, withinMs: number, now = Date.now()): boolean {
    const user = this.#users.get(openid);
    return user !== undefined && now - user.lastLoginAt < withinMs;
  }

  /** Whether WeChat has ever seen this openid log in to this app. */
  knows(openid: string): boolean {
    return this.#users.has(openid);
  }

  /** Forgets every login window (the rate limit starts afresh); used codes stay used. */
  resetLimits(): void {
    this.#windows.clear();
  }

  /** Drops what can no longer matter. Called periodically. */
  sweep(now = Date.now()): void {
    for (const [code, usedAt] of this.#usedCodes) {
      if (now - usedAt < this.opts.usedCodeMemoryMs) break; // the rest are younger
      this.#usedCodes.delete(code);
    }
    for (const [openid, window] of this.#windows) {
      const last = window[window.length - 1];
      if (last === undefined || now - last >= WINDOW_MS) this.#windows.delete(openid);
    }
  }

  get size(): { usedCodes: number; users: number } {
    return { usedCodes: this.#usedCodes.size, users: this.#windows.size };
  }

  /** The user's logins within the last minute (a sliding window), trimmed in place. */
  #window(openid: string, now: number): number[] {
    let window = this.#windows.get(openid);
    if (!window) {
      window = [];
      this.#windows.set(openid, window);
      trim(this.#windows, MAX_USERS);
    }
    let stale = 0;
    while (stale < window.length && now - window[stale]! >= WINDOW_MS) stale++;
    if (stale) window.splice(0, stale);
    return window;
  }
}

/** Drops a map's oldest entries (insertion order) beyond `max`. */
function trim<K, V>(map: Map<K, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
