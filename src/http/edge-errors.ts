/**
 * Refusals at the client's edge. Each also closes the connection: the rest of such a
 * request is either unreadable (a body whose length cannot be known) or not worth
 * reading, and the gateway answers the same requests the same way. The node's error
 * handler reads `closesConnection`.
 */
import { MiniscaleError } from '../errors.js';

/** The request target is over the URL limit (8 KiB). */
export class UriTooLongError extends MiniscaleError {
  readonly code = 'URI_TOO_LONG';
  readonly closesConnection = true;
}

/** No Host on HTTP/1.1, or a Transfer-Encoding that leaves the body's length unknowable. */
export class MalformedRequestError extends MiniscaleError {
  readonly code = 'VALIDATION_FAILED';
  readonly closesConnection = true;
}

export function closesConnection(err: unknown): boolean {
  return (err as { closesConnection?: unknown } | null)?.closesConnection === true;
}
