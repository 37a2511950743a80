/**
 * The API's error format, `{"error":{"code","message"}}`, and the one table from
 * stable codes to HTTP statuses. The API node's error handler and the gateway's own
 * answers both use it, so a client sees one format whoever answered.
 */
export const STATUS_BY_CODE = {
  VALIDATION_FAILED: 400,
  WECHAT_CODE_INVALID: 400,
  DECRYPT_FAILED: 400,
  SIGNATURE_INVALID: 400,
  UNAUTHENTICATED: 401,
  AUTH_CODE_INVALID: 401,
  FORBIDDEN: 403,
  AUTH_USER_BLOCKED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  DRAIN_REFUSED: 409,
  WECHAT_USER_INACTIVE: 409,
  SUBSCRIPTION_REFUSED: 409,
  VERSION_CONFLICT: 412,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  AUTH_RATE_LIMITED: 429,
  WECHAT_RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  UPSTREAM_UNAVAILABLE: 502,
  STORE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
} as const;

export type ApiErrorCode = keyof typeof STATUS_BY_CODE;

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

export function errorBody(code: ApiErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

export function statusOf(code: ApiErrorCode): number {
  return STATUS_BY_CODE[code];
}
