/** The WeChat endpoints the emulator speaks, by the names its stats and knobs use. */
export const ENDPOINTS = [
  'jscode2session',
  'token',
  'stable_token',
  'getcallbackip',
  'getuserphonenumber',
  'msg_sec_check',
  'getwxacodeunlimit',
  'subscribe_send',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/**
 * `GET /_emulator/stats`: calls received per endpoint since start (or the last reset),
 * and how many stable_token calls asked for force_refresh (WeChat allows 20 a day).
 */
export type EmulatorStats = Record<Endpoint, number> & { stable_token_force: number };
