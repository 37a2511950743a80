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
import { appKey, type JsonEntry, type Store } from '../../store/index.js';

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
  constructor(
    private readonly store: Store,
    private readonly ttlSec: number,
  ) {}

  async create(session: Omit<Session, 'createdAt'>): Promise<IssuedSession> {
    const token = randomBytes(32).toString('base64url');
    const ttlMs = this.ttlSec * 1000;
    const record: Session = { ...session, createdAt: Date.now() };
    const entry = await this.store.set(recentOf(token).key, { ...record }, { ttlMs, ifAbsent: true });
    return { token, expiresAt: new Date(entry.expiresAt ?? Date.now() + ttlMs) };
  }

  /** The live session for a token, or null (unknown, expired, revoked or malformed). */
  async resolve(token: string): Promise<Session | null> {
    const recent = recentTokenOf(token);
    if (!recent) return null;
    return sessionOf(recent, await this.store.getJson(recent.key));
  }

  /**
   * `resolve` answered at once when the store's reads are local (embedded), so the
   * auth hook needs no promise; `undefined` when the store must be awaited: call
   * `resolve`. Reads the store every time, like `resolve`.
   */
  resolveNow(token: string): Session | null | undefined {
    const recent = recentTokenOf(token);
    if (!recent) return null;
    const entry = this.store.getJsonNow(recent.key);
    return entry === undefined ? undefined : sessionOf(recent, entry);
  }

  async revoke(token: string): Promise<boolean> {
    if (!TOKEN_PATTERN.test(token)) return false;
    return this.store.delete(recentOf(token).key);
  }
}

/**
 * What this process keeps about a token it has seen: its store key (the SHA-256 is a
 * pure function of the token; it was ~4 % of a GET's CPU, bench/api) and the session
 * record it last read, as text and parsed (JSON.parse of a session was ~0.4 µs of
 * every request). The store is read on every request all the same, and only a record
 * read there counts: a revoked or expired session is refused at once on every node.
 * The parsed session is reused only for the very same text, so it is exactly what
 * parsing that text again would give; it is frozen, being shared by requests.
 */
interface RecentToken {
  readonly key: string;
  json: string | undefined;
  session: Session | undefined;
}

const recent = new Map<string, RecentToken>();
const MAX_RECENT_TOKENS = 10_000;

function recentOf(token: string): RecentToken {
  let known = recent.get(token);
  if (known === undefined) {
    known = { key: appKey('session', createHash('sha256').update(token).digest('base64url')), json: undefined, session: undefined };
    if (recent.size >= MAX_RECENT_TOKENS) recent.clear(); // crude but bounded: a full map starts over
    recent.set(token, known);
  }
  return known;
}

/** A token seen before passed the pattern then; a new one is checked before it is kept. */
function recentTokenOf(token: string): RecentToken | undefined {
  return recent.get(token) ?? (TOKEN_PATTERN.test(token) ? recentOf(token) : undefined);
}

function sessionOf(known: RecentToken, entry: JsonEntry | null): Session | null {
  if (entry === null) return null;
  if (known.json !== entry.json) {
    known.session = Object.freeze(JSON.parse(entry.json) as Session);
    known.json = entry.json;
  }
  return known.session ?? null;
}
