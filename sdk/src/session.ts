/**
 * The signed-in session: the token from `POST /v1/auth/login`, kept with
 * `wx.setStorageSync` so it outlives the page and the app's restarts. One login at a
 * time: every call that needs a token while one is being fetched waits for that same
 * login instead of starting its own — each `wx.login` code is good once, and WeChat
 * limits logins per user.
 */
import type { Wx } from './wx.js';

export interface StoredSession {
  token: string;
  openid: string;
  /** ISO 8601, as the server gave it. */
  expiresAt: string;
}

/** A session this close to its end is renewed first, so it cannot expire on its way to the server. */
const EXPIRY_MARGIN_MS = 60_000;

export class Session {
  private current: StoredSession | undefined;
  private loaded = false;
  private pending: Promise<StoredSession> | undefined;

  constructor(
    private readonly wx: Wx,
    private readonly storageKey: string,
    private readonly signIn: () => Promise<StoredSession>,
  ) {}

  /** The token of a live session: the stored one, else one login shared by all who ask meanwhile. */
  async token(): Promise<string> {
    const now = this.stored();
    if (now && Date.parse(now.expiresAt) - Date.now() > EXPIRY_MARGIN_MS) return now.token;
    return (await this.login()).token;
  }

  /**
   * After a 401 on `failed`: one fresh login for every call that saw that token refused.
   * If someone already replaced it, the new token is used as it is.
   */
  async renew(failed: string): Promise<string> {
    const now = this.stored();
    if (now && now.token !== failed) return now.token;
    if (now) this.clear();
    return (await this.login()).token;
  }

  /** Signs in, or joins the login already under way. */
  login(): Promise<StoredSession> {
    if (!this.pending) {
      this.pending = this.signIn().then((session) => {
        this.save(session);
        return session;
      });
      const done = () => {
        this.pending = undefined;
      };
      this.pending.then(done, done);
    }
    return this.pending;
  }

  /** The session as stored, if any (it may have expired). */
  stored(): StoredSession | undefined {
    if (!this.loaded) {
      this.loaded = true;
      const raw: unknown = this.wx.getStorageSync(this.storageKey);
      this.current = isSession(raw) ? raw : undefined;
    }
    return this.current;
  }

  clear(): void {
    this.current = undefined;
    this.loaded = true;
    this.wx.removeStorageSync(this.storageKey);
  }

  private save(session: StoredSession): void {
    this.current = session;
    this.loaded = true;
    this.wx.setStorageSync(this.storageKey, session);
  }
}

function isSession(raw: unknown): raw is StoredSession {
  const s = raw as Partial<StoredSession> | null;
  return (
    typeof s === 'object' && s !== null && typeof s.token === 'string' && typeof s.openid === 'string' && typeof s.expiresAt === 'string'
  );
}
