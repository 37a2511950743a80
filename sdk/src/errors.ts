/**
 * The one error type the SDK rejects with. `code` is the API's stable code
 * (`VERSION_CONFLICT`, `RATE_LIMITED`, …) or one of the SDK's own for failures that
 * never got an answer; `status` is the HTTP status (0 when there was none) and
 * `requestId` the server's `X-Request-Id`, which names the request in its logs.
 */

/** The SDK's own codes, for calls that got no answer from the API. */
export type ClientErrorCode =
  /** The request failed on the network (refused, reset, no connection). */
  | 'NETWORK'
  /** No answer within the client's timeout. */
  | 'TIMEOUT'
  /** `wx.login` failed: no code to sign in with. */
  | 'LOGIN_FAILED'
  /** The server answered something that is not the API's JSON. */
  | 'BAD_RESPONSE';

export class MiniscaleError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId: string | undefined;

  constructor(code: string, message: string, status = 0, requestId?: string) {
    super(message);
    this.name = 'MiniscaleError';
    this.code = code;
    this.status = status;
    this.requestId = requestId;
  }
}

/** True for errors from this SDK, also across JS realms (where `instanceof` fails). */
export function isMiniscaleError(err: unknown): err is MiniscaleError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'MiniscaleError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}
