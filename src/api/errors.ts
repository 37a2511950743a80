/**
 * The API's typed errors, one class per meaning. Routes throw these; the one error
 * handler (error-handler.ts) turns any of them into `{"error":{code,message}}` with
 * the status from src/http/error-response.ts.
 */
import { MiniscaleError } from '../errors.js';

export class UnauthenticatedError extends MiniscaleError {
  readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends MiniscaleError {
  readonly code = 'FORBIDDEN';
}

export class NotFoundError extends MiniscaleError {
  readonly code = 'NOT_FOUND';
}

/** An admin drain that would leave no worker taking connections on the public port. */
export class DrainRefusedError extends MiniscaleError {
  readonly code = 'DRAIN_REFUSED';
}

export class PayloadTooLargeError extends MiniscaleError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}

/** Over a rate limit; `retryAfterSec` becomes the `Retry-After` header. */
export class RateLimitedError extends MiniscaleError {
  readonly code = 'RATE_LIMITED';
  constructor(message: string, readonly retryAfterSec: number) {
    super(message);
  }
}

/** WeChat refused the login code: invalid (40029) or already used (40163). */
export class AuthCodeInvalidError extends MiniscaleError {
  readonly code = 'AUTH_CODE_INVALID';
}

/** WeChat flagged the user as risky (40226). */
export class AuthUserBlockedError extends MiniscaleError {
  readonly code = 'AUTH_USER_BLOCKED';
}

/** WeChat's own per-user login limit (45011: over 100 logins a minute). */
export class AuthRateLimitedError extends MiniscaleError {
  readonly code = 'AUTH_RATE_LIMITED';
  constructor(message: string, readonly retryAfterSec: number) {
    super(message);
  }
}

/** WeChat (or another upstream) could not be reached or answered something unusable. */
export class UpstreamUnavailableError extends MiniscaleError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

/** WeChat did not answer within the bounded time of a call. */
export class UpstreamTimeoutError extends MiniscaleError {
  readonly code = 'UPSTREAM_TIMEOUT';
}

/** A code from a `getPhoneNumber` button that WeChat refused: unknown, expired or used (40029). */
export class WechatCodeInvalidError extends MiniscaleError {
  readonly code = 'WECHAT_CODE_INVALID';
}

/** `encryptedData` that does not decrypt with the caller's session_key, or is not for this app. */
export class DecryptFailedError extends MiniscaleError {
  readonly code = 'DECRYPT_FAILED';
}

/** `signature` is not sha1(rawData + session_key). */
export class SignatureInvalidError extends MiniscaleError {
  readonly code = 'SIGNATURE_INVALID';
}

/** WeChat does not know the openid as an active user (40003: not seen in the last 2 hours). */
export class WechatUserInactiveError extends MiniscaleError {
  readonly code = 'WECHAT_USER_INACTIVE';
}

/** WeChat's own rate limit on the call (45009); `retryAfterSec` becomes `Retry-After`. */
export class WechatRateLimitedError extends MiniscaleError {
  readonly code = 'WECHAT_RATE_LIMITED';
  constructor(message: string, readonly retryAfterSec: number) {
    super(message);
  }
}

/** The user has no subscription to the template left (43101). */
export class SubscriptionRefusedError extends MiniscaleError {
  readonly code = 'SUBSCRIPTION_REFUSED';
}
