/**
 * access_tokens, with the two lifecycles WeChat documents — and kept apart, since
 * "stable_token is completely isolated from getAccessToken; neither affects the other":
 *
 * - `/cgi-bin/token` (getAccessToken): every call issues a NEW token, and "fetching again
 *   invalidates the previous one"; "the platform keeps old and new usable for 5 minutes"
 *   so the previous one dies `invalidateAfterMs` after its successor was issued.
 * - `/cgi-bin/stable_token` (getStableAccessToken), normal mode: "repeated calls within
 *   the validity period do not update the access_token", except that "the platform renews
 *   it 5 minutes early": a call in the last `renewBeforeMs` gets a new token while the old
 *   one stays usable until it expires. force_refresh: "invalidates the previously fetched
 *   access_token and returns a new one"; "limited to 20 a day, and consecutive calls must
 *   be 30 s apart, otherwise no refresh happens".
 *
 * A token used with an API is then valid, invalidated (40001) or expired (42001).
 */
import { randomBytes } from 'node:crypto';
import { ERR, WechatApiError } from './errcodes.js';

export interface TokenGrant {
  access_token: string;
  expires_in: number;
}

export interface TokenBookOptions {
  ttlMs: number;
  invalidateAfterMs: number;
  renewBeforeMs: number;
  forceIntervalMs: number;
  forcePerDay: number;
}

interface TokenRecord {
  expiresAt: number;
  /** When it stopped (or will stop) working because it was replaced; Infinity if not. */
  invalidAt: number;
}

const DAY_MS = 86_400_000;
/** A dead token is still recognised (40001/42001 rather than "unknown") this long. */
const KEEP_DEAD_MS = 3_600_000;
const MAX_TOKENS = 100_000;

export class TokenBook {
  readonly #tokens = new Map<string, TokenRecord>();
  #latestToken: TokenRecord | undefined;
  #stable: { token: string; record: TokenRecord } | undefined;
  #lastForceAt = -Infinity;
  /** Times of the force refreshes of the last 24 h (at most `forcePerDay`). */
  #forces: number[] = [];
  #seq = 0;

  constructor(private readonly opts: TokenBookOptions) {}

  /** `/cgi-bin/token`: a new token; the previous one dies `invalidateAfterMs` from now. */
  issueToken(now = Date.now()): TokenGrant {
    if (this.#latestToken) {
      this.#latestToken.invalidAt = Math.min(this.#latestToken.invalidAt, now + this.opts.invalidateAfterMs);
    }
    const { token, record } = this.#issue(now);
    this.#latestToken = record;
    return grant(token, record, now);
  }

  /** `/cgi-bin/stable_token`. */
  stableToken(forceRefresh: boolean, now = Date.now()): TokenGrant {
    const current = this.#stable;
    const usable = current !== undefined && isUsable(current.record, now);
    if (forceRefresh) {
      this.#forces = this.#forces.filter((t) => now - t < DAY_MS);
      if (this.#forces.length >= this.opts.forcePerDay) throw new WechatApiError(ERR.DAILY_QUOTA);
      // Within 30 s of the last forced refresh WeChat does not refresh. A token that no
      // longer works (see expireAll) is replaced anyway, or a client could never recover.
      if (usable && now - this.#lastForceAt < this.opts.forceIntervalMs) return grant(current.token, current.record, now);
      if (current) current.record.invalidAt = Math.min(current.record.invalidAt, now);
      this.#lastForceAt = now;
      this.#forces.push(now);
    } else if (usable && current.record.expiresAt - now > this.opts.renewBeforeMs) {
      return grant(current.token, current.record, now);
    }
    this.#stable = this.#issue(now);
    return grant(this.#stable.token, this.#stable.record, now);
  }

  /** What an API does with the access_token it is given: nothing, or 41001/40001/42001. */
  check(token: string | undefined, now = Date.now()): void {
    if (!token) throw new WechatApiError(ERR.ACCESS_TOKEN_MISSING);
    const record = this.#tokens.get(token);
    if (!record) throw new WechatApiError(ERR.INVALID_CREDENTIAL);
    // Whichever happened first decides: replaced (40001) or expired (42001).
    if (record.invalidAt <= now && record.invalidAt <= record.expiresAt) throw new WechatApiError(ERR.INVALID_CREDENTIAL);
    if (record.expiresAt <= now) throw new WechatApiError(ERR.ACCESS_TOKEN_EXPIRED);
  }

  /** Test knob: every token still working expires now (→ 42001). Returns how many. */
  expireAll(now = Date.now()): number {
    let n = 0;
    for (const record of this.#tokens.values()) {
      if (!isUsable(record, now)) continue;
      record.expiresAt = now;
      n++;
    }
    return n;
  }

  /** Forgets the force_refresh quota and interval. */
  resetLimits(): void {
    this.#forces = [];
    this.#lastForceAt = -Infinity;
  }

  /** Drops tokens dead for a while. Called periodically. */
  sweep(now = Date.now()): void {
    for (const [token, record] of this.#tokens) {
      if (now - Math.min(record.expiresAt, record.invalidAt) > KEEP_DEAD_MS) this.#tokens.delete(token);
    }
  }

  get size(): number {
    return this.#tokens.size;
  }

  #issue(now: number): { token: string; record: TokenRecord } {
    // Shaped like WeChat's (`86_` + base64url); clients must store at least 512 chars.
    const token = `${++this.#seq}_${randomBytes(96).toString('base64url')}`;
    const record: TokenRecord = { expiresAt: now + this.opts.ttlMs, invalidAt: Infinity };
    this.#tokens.set(token, record);
    for (const key of this.#tokens.keys()) {
      if (this.#tokens.size <= MAX_TOKENS) break;
      this.#tokens.delete(key);
    }
    return { token, record };
  }
}

function isUsable(record: TokenRecord, now: number): boolean {
  return record.expiresAt > now && record.invalidAt > now;
}

/** `expires_in` is the time left, in whole seconds (WeChat: "a value within 7200"). */
function grant(token: string, record: TokenRecord, now: number): TokenGrant {
  return { access_token: token, expires_in: Math.max(1, Math.floor((record.expiresAt - now) / 1000)) };
}
