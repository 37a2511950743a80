/**
 * Sessions live in the store, so every node accepts a token any node issued and a
 * logout on one node is a logout everywhere. The token is 256 random bits; the store
 * keeps only its SHA-256, so a leaked store dump does not hand out live sessions.
 *
 * Lifetime is fixed (default 7 days from login), not sliding: checking a session is
 * then a pure read, with no write on every request. A mini program simply calls
 * wx.login again when it gets 401.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appKey, type Store } from '../../store/index.js';

export interface Session {
  openid: string;
  /** WeChat's session_key: server-side only, needed later to decrypt user data. */
  sessionKey: string;
  unionid?: string;
  createdAt: number;
}

export interface IssuedSession {
  token: string;
  expiresAt: Date;
}

/** base64url of 32 bytes, exactly as issued; anything else is not worth a store read. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class Sessions {
  constructor(private readonly store: Store, private readonly ttlSec: number) {}

  async create(session: Omit<Session, 'createdAt'>): Promise<IssuedSession> {
    const token = randomBytes(32).toString('base64url');
    const ttlMs = this.ttlSec * 1000;
    const record: Session = { ...session, createdAt: Date.now() };
    const entry = await this.store.set(keyOf(token), { ...record }, { ttlMs, ifAbsent: true });
    return { token, expiresAt: new Date(entry.expiresAt ?? Date.now() + ttlMs) };
  }

  /** The live session for a token, or null (unknown, expired, revoked or malformed). */
  async resolve(token: string): Promise<Session | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const entry = await this.store.get(keyOf(token));
    return (entry?.value as Session | undefined) ?? null;
  }

  async revoke(token: string): Promise<boolean> {
    if (!TOKEN_PATTERN.test(token)) return false;
    return this.store.delete(keyOf(token));
  }
}

/**
 * The store key of a token. The SHA-256 is a pure function of the token, so the keys of
 * recently seen tokens are kept (it was ~4 % of a GET's CPU, bench/api); only the
 * key is cached, never the session, so a logout still counts on every node at once.
 */
const keys = new Map<string, string>();
const MAX_CACHED_KEYS = 10_000;

function keyOf(token: string): string {
  let key = keys.get(token);
  if (key === undefined) {
    key = appKey('session', createHash('sha256').update(token).digest('base64url'));
    if (keys.size >= MAX_CACHED_KEYS) keys.clear(); // crude but bounded: a full map starts over
    keys.set(token, key);
  }
  return key;
}
