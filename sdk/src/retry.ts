/**
 * When a failed attempt is tried again, and after how long — a pure function of the
 * result, so every rule is testable on its own.
 *
 * - 429: the server refused before doing anything, so any request may be retried, after
 *   `Retry-After`. A wait longer than the cap is not sat out: the call fails with
 *   `RATE_LIMITED` at once and the app can tell its user.
 * - 502/503/504 and network failures after the request may have reached the server: a
 *   write may have happened, so only safe requests are retried — GET/HEAD, conditional
 *   writes (`If-Match` / `If-None-Match`: a replay that finds the write done gets 412,
 *   never a second write) and what the caller marked idempotent.
 * - A request that was never sent (connection refused…) is retried whatever it is.
 * Network failures back off exponentially with jitter, so many clients that lost the
 * same server do not come back in step.
 */
import type { AttemptResult } from './transport.js';
import { headerOf } from './wx.js';

export interface RetryOptions {
  /** Attempts per call, the first included. @default 3 */
  maxAttempts: number;
  /** The first back-off after a network failure; doubles with each attempt. @default 300 */
  baseDelayMs: number;
  /** The longest back-off. @default 5000 */
  maxDelayMs: number;
  /** The longest `Retry-After` the client waits for; longer ones fail the call. @default 10000 */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, baseDelayMs: 300, maxDelayMs: 5_000, maxRetryAfterMs: 10_000 };

export type RetryDecision = { retry: false } | { retry: true; delayMs: number };

const NO: RetryDecision = { retry: false };

export function retryDecision(
  result: AttemptResult,
  attempt: number,
  safe: boolean,
  options: RetryOptions,
  random: () => number = Math.random,
): RetryDecision {
  if (attempt >= options.maxAttempts) return NO;
  if (result.kind === 'failure') {
    return result.maybeSent && !safe ? NO : { retry: true, delayMs: backoffMs(attempt, options, random) };
  }
  if (result.status === 429)
    return afterRetryAfter(result.header, options) ?? { retry: true, delayMs: backoffMs(attempt, options, random) };
  if (result.status === 502 || result.status === 503 || result.status === 504) {
    if (!safe) return NO;
    return afterRetryAfter(result.header, options) ?? { retry: true, delayMs: backoffMs(attempt, options, random) };
  }
  return NO;
}

/** Exponential, with "equal jitter": half of the step fixed, half random. */
export function backoffMs(attempt: number, options: RetryOptions, random: () => number): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * Math.pow(2, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** The server's `Retry-After` as a decision; undefined when it sent none. */
function afterRetryAfter(header: Record<string, unknown>, options: RetryOptions): RetryDecision | undefined {
  const ms = retryAfterMs(headerOf(header, 'retry-after'));
  if (ms === undefined) return undefined;
  return ms > options.maxRetryAfterMs ? NO : { retry: true, delayMs: ms };
}

/** `Retry-After` is either whole seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
