/**
 * Subscribe-message consent. In WeChat a user grants it in the mini program
 * (wx.requestSubscribeMessage): each "allow" of a one-time template lets the app send
 * that user one message from it. The emulator's stand-in for that tap is
 * `POST /_emulator/subscribe {openid, template_id, times?}`; a template is known to the
 * app once someone subscribed to it (else 40037), and a send with no consent left is
 * 43101 ("user refuse to accept the msg").
 */
import { ERR, WechatApiError } from './errcodes.js';

const MAX_ENTRIES = 100_000;
/** Sent messages kept for `GET /_emulator/sent-messages`, newest last. */
const MAX_SENT = 1_000;

export interface SentMessage {
  /** As a string: the exact digits of the 64-bit msgid. */
  msgid: string;
  touser: string;
  template_id: string;
  page: string | null;
  data: unknown;
  miniprogram_state: string;
}

export class Subscriptions {
  readonly #templates = new Set<string>();
  /** `openid template_id` → sends left. */
  readonly #left = new Map<string, number>();
  #seq = 0n;
  readonly #sent: SentMessage[] = [];

  grant(openid: string, templateId: string, times: number): number {
    this.#templates.add(templateId);
    const key = `${openid} ${templateId}`;
    const left = (this.#left.get(key) ?? 0) + times;
    this.#left.set(key, left);
    for (const k of this.#left.keys()) {
      if (this.#left.size <= MAX_ENTRIES) break;
      this.#left.delete(k);
    }
    return left;
  }

  /** What was sent, oldest first (at most the last 1000). */
  get sent(): SentMessage[] {
    return [...this.#sent];
  }

  /** Records a message sent with `consume`'s msgid. */
  record(message: SentMessage): void {
    this.#sent.push(message);
    if (this.#sent.length > MAX_SENT) this.#sent.shift();
  }

  /** Uses up one consent, or throws 40037 / 43101; returns the new message's msgid. */
  consume(openid: string, templateId: string): bigint {
    if (!this.#templates.has(templateId)) throw new WechatApiError(ERR.INVALID_TEMPLATE_ID);
    const key = `${openid} ${templateId}`;
    const left = this.#left.get(key) ?? 0;
    if (left <= 0) throw new WechatApiError(ERR.USER_REFUSED);
    if (left === 1) this.#left.delete(key);
    else this.#left.set(key, left - 1);
    // WeChat's msgids are 64-bit integers beyond 2^53: a client that parses them as
    // doubles gets a different number, which is exactly what the emulator must expose.
    return (1n << 61n) + 1_000_003n * ++this.#seq + BigInt(Math.floor(Math.random() * 1000));
  }
}
