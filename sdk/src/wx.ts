/// <reference types="miniprogram-api-typings" />
/**
 * The part of the mini program's `wx` object the SDK uses, typed by
 * miniprogram-api-typings, so a test can hand in its own implementation.
 */
export type Wx = Pick<WechatMiniprogram.Wx, 'request' | 'login' | 'getStorageSync' | 'setStorageSync' | 'removeStorageSync'>;

/** The global `wx` of the mini program runtime, if there is one. */
export function globalWx(): Wx | undefined {
  return typeof wx === 'undefined' ? undefined : wx;
}

/** A response header by name: WeChat hands headers over with the server's spelling, which differs between platforms. */
export function headerOf(header: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const wanted = name.toLowerCase();
  for (const key of Object.keys(header)) {
    if (key.toLowerCase() === wanted) {
      const value: unknown = header[key];
      const first: unknown = Array.isArray(value) ? value[0] : value;
      return typeof first === 'string' ? first : typeof first === 'number' ? String(first) : undefined;
    }
  }
  return undefined;
}
