/**
 * One `wx.request`, turned into one result: an answer (any status), or a failure that
 * says whether the request may have reached the server. That difference decides what
 * may be retried: a request that was never sent can be sent again whatever it does; one
 * that may have arrived could be applied twice.
 */
import type { Wx } from './wx.js';

export interface Attempt {
  method: string;
  url: string;
  header: Record<string, string>;
  /** JSON text, or undefined for no body. */
  body: string | undefined;
  timeoutMs: number;
}

export type AttemptResult =
  | { kind: 'answer'; status: number; data: unknown; header: Record<string, unknown> }
  | { kind: 'failure'; code: 'NETWORK' | 'TIMEOUT'; maybeSent: boolean; message: string };

/**
 * Failures that happen before a byte is sent: the connection was refused, the name did
 * not resolve, there is no network. WeChat reports them in `errMsg` with the platform's
 * error names (Android and DevTools give Chromium's `net::ERR_…`, iOS NSURLError texts).
 * Anything else — a reset, a closed connection, a timeout — may have reached the server.
 */
const NOT_SENT =
  /ERR_CONNECTION_REFUSED|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED|ERR_ADDRESS_UNREACHABLE|ERR_NETWORK_CHANGED|ECONNREFUSED|ENOTFOUND|could not connect|offline/i;

export function sendOnce(wx: Wx, attempt: Attempt): Promise<AttemptResult> {
  return new Promise((resolve) => {
    wx.request({
      url: attempt.url,
      method: attempt.method as 'GET',
      header: attempt.header,
      data: attempt.body,
      timeout: attempt.timeoutMs,
      dataType: 'json',
      responseType: 'text',
      success: (res) => resolve({ kind: 'answer', status: res.statusCode, data: res.data, header: res.header }),
      fail: (err) => {
        const message = err.errMsg || 'request:fail';
        if (/timeout|timed out/i.test(message)) resolve({ kind: 'failure', code: 'TIMEOUT', maybeSent: true, message });
        else resolve({ kind: 'failure', code: 'NETWORK', maybeSent: !NOT_SENT.test(message), message });
      },
    });
  });
}
