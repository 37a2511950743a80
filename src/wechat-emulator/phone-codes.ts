/**
 * getuserphonenumber's codes. A real one comes from a `getPhoneNumber` button on a
 * phone; the emulator accepts made-up ones instead: `devphone:CC-NUMBER` or
 * `devphone:CC-NUMBER:ANYTHING` (CC the country code, NUMBER the number without it).
 * Each code works once, as WeChat's do; an unknown or used code is 40029.
 */
import { ERR, WechatApiError } from './errcodes.js';

const CODE_RE = /^devphone:(\d{1,4})-(\d{4,15})(?::[^\s]{1,64})?$/;
const MAX_USED = 100_000;

export interface PhoneInfo {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  watermark: { timestamp: number; appid: string };
}

export class PhoneCodes {
  /** code → when it was used; insertion order is age order. */
  readonly #used = new Map<string, number>();

  constructor(
    private readonly appid: string,
    private readonly memoryMs: number,
  ) {}

  exchange(code: string, now = Date.now()): PhoneInfo {
    const m = CODE_RE.exec(code);
    if (!m || this.#used.has(code)) throw new WechatApiError(ERR.INVALID_CODE);
    this.#used.set(code, now);
    for (const key of this.#used.keys()) {
      if (this.#used.size <= MAX_USED) break;
      this.#used.delete(key);
    }
    const [, countryCode, pure] = m as unknown as [string, string, string];
    return {
      // WeChat: "the number the user bound (with the country code for numbers abroad)".
      phoneNumber: countryCode === '86' ? pure : `+${countryCode}${pure}`,
      purePhoneNumber: pure,
      countryCode,
      watermark: { timestamp: Math.floor(now / 1000), appid: this.appid },
    };
  }

  sweep(now = Date.now()): void {
    for (const [code, usedAt] of this.#used) {
      if (now - usedAt < this.memoryMs) break;
      this.#used.delete(code);
    }
  }
}
